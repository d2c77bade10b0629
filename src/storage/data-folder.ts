/**
 * Makes the embedded database's folder (FEEDWERK_DATA) and its missing parents. Not Node's
 * `mkdirSync(path, { recursive: true })`: on a file system that answers a mkdir with ENOENT although
 * the parent exists (procfs: FEEDWERK_DATA=/proc/feedwerk) it retries forever at full speed.
 * One level at a time, each error is the folder's own.
 */
import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

export function makeDataFolder(dataDir: string): void {
  try {
    makeFolder(resolve(dataDir));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "EEXIST" || code === "ENOTDIR"
        ? "a file stands where the folder should be"
        : code === "EACCES" || code === "EPERM"
          ? "permission denied"
          : code === "ENOENT" || code === "EROFS"
            ? "no folder can be made there"
            : (error as Error).message;
    throw new Error(`${dataDir}: cannot hold the embedded database (FEEDWERK_DATA): ${why}`);
  }
}

function makeFolder(path: string): void {
  try {
    mkdirSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      if (!statSync(path).isDirectory()) throw error;
      return;
    }
    const parent = dirname(path);
    // a missing parent is made first, once; a second ENOENT is the file system refusing this folder
    if (code !== "ENOENT" || parent === path || isFolder(parent)) throw error;
    makeFolder(parent);
    mkdirSync(path);
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
