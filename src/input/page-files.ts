/**
 * Finding and reading saved pages on disk (Node only). A folder stands for
 * every page file below it; a page's fetch time is given on the command
 * line, else by a sidecar NAME.meta.json ({"fetchedAt": "…"}) next to
 * NAME.txt, else by the file's modification time.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { parseInstant } from "../normalise/instant";

export interface PageFile {
  path: string;
  bytes: Uint8Array;
  fetchedAt: Date;
}

const SIDECAR = ".meta.json";

export interface PageFileList {
  files: string[];
  /** Paths given that could not be listed, with the reason. */
  missing: { path: string; reason: string }[];
}

/** Expands folders (recursively, in name order); hidden files and sidecars are skipped. */
export async function listPageFiles(paths: string[]): Promise<PageFileList> {
  const out: string[] = [];
  const missing: PageFileList["missing"] = [];
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      missing.push({ path, reason: code === "ENOENT" ? "no such file or folder" : (error as Error).message });
      continue;
    }
    if (!info.isDirectory()) {
      out.push(path);
      continue;
    }
    const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      if (entry.name.startsWith(".") || entry.name.endsWith(SIDECAR)) continue;
      const child = join(path, entry.name);
      if (entry.isDirectory()) {
        const nested = await listPageFiles([child]);
        out.push(...nested.files);
        missing.push(...nested.missing);
      } else if (entry.isFile()) {
        out.push(child);
      }
    }
  }
  return { files: out, missing };
}

export async function readPageFile(path: string, fetchedAt?: Date): Promise<PageFile> {
  const bytes = new Uint8Array(await readFile(path));
  return { path, bytes, fetchedAt: fetchedAt ?? (await sidecarFetchTime(path)) ?? (await stat(path)).mtime };
}

async function sidecarFetchTime(path: string): Promise<Date | null> {
  const sidecar = join(path, "..", basename(path, extname(path)) + SIDECAR);
  let text: string;
  try {
    text = await readFile(sidecar, "utf8");
  } catch {
    return null;
  }
  const value = (JSON.parse(text) as { fetchedAt?: unknown }).fetchedAt;
  const date = typeof value === "string" ? parseInstant(value) : null;
  if (!date) throw new Error(`${sidecar}: "fetchedAt" must be an ISO 8601 time with a zone, like 2025-12-09T13:00:00Z`);
  return date;
}
