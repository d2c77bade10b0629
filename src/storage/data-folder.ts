/**
 * Makes the embedded database's folder (FEEDWERK_DATA) and its missing parents. Not Node's
 * `mkdirSync(path, { recursive: true })`: on a file system that answers a mkdir with ENOENT although
 * the parent exists (procfs: FEEDWERK_DATA=/proc/feedwerk) it retries forever at full speed.
 * One level at a time, each error is the folder's own.
 */
import { lstatSync, mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

export function makeDataFolder(dataDir: string): void {
  try {
    makeFolder(resolve(dataDir));
  } catch (error) {
    throw new Error(`${dataDir}: cannot hold the embedded database (FEEDWERK_DATA): ${whyNot(error)}`);
  }
}

/** Something other than a folder stands where one should be. */
class NotAFolder extends Error {}

function whyNot(error: unknown): string {
  if (error instanceof NotAFolder) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOTDIR") return "a file stands where the folder should be";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "ENOENT" || code === "EROFS") return "no folder can be made there";
  return (error as Error).message;
}

function makeFolder(path: string): void {
  try {
    makeOne(path);
  } catch (error) {
    const parent = dirname(path);
    if ((error as NodeJS.ErrnoException).code !== "ENOENT" || parent === path) throw error;
    // a missing parent is made first (unless another command made it meanwhile), then this once more:
    // an ENOENT then is the file system refusing this folder
    if (!isFolder(parent)) makeFolder(parent);
    makeOne(path);
  }
}

/** One folder whose parent exists; one that exists already (made by another command meanwhile, say) is fine. */
function makeOne(path: string): void {
  try {
    mkdirSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    if (isFolder(path)) return;
    throw new NotAFolder(isLink(path) && !exists(path) ? "a link to nothing stands where the folder should be" : "a file stands where the folder should be");
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
