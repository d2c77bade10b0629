/**
 * Finding and reading saved pages on disk (Node only). A folder stands for
 * every page file below it; a page's fetch time is given on the command
 * line, else by a sidecar NAME.meta.json ({"fetchedAt": "…"}) next to
 * NAME.txt, else by the file's modification time.
 */
import type { Stats } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { parseInstant } from "../normalise/instant";
import { JsonTextError, parseJsonText } from "./json-text";

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
  /** Files inside the folders given that are not page files (PAGE_FILES): a README, data, images. */
  skipped: string[];
}

/** What a folder holds that is read as a page (the portal's text pages, saved HTML pages); a file named on its own is read whatever its name. */
const PAGE_FILE = /\.(txt|html?)$/i;
/** PAGE_FILE as a person reads it. */
export const PAGE_FILES = "*.txt, *.html, *.htm";

/** Expands folders (recursively, in name order) to their page files; hidden files are passed over, sidecars too. */
export async function listPageFiles(paths: string[]): Promise<PageFileList> {
  const out: string[] = [];
  const missing: PageFileList["missing"] = [];
  const skipped: string[] = [];
  for (const path of paths) {
    let info: Stats;
    try {
      info = await stat(path);
    } catch (error) {
      missing.push({ path, reason: fileErrorReason(error) });
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
        skipped.push(...nested.skipped);
      } else if (entry.isFile()) {
        (PAGE_FILE.test(entry.name) ? out : skipped).push(child);
      }
    }
  }
  return { files: out, missing, skipped };
}

/** What an operating-system error on a file means, in words (the codes are for programs). */
export function fileErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return "no such file or folder";
    case "EISDIR":
      return "is a folder, not a file";
    case "ENOTDIR":
      return "a part of the path is not a folder";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    default:
      return (error as Error).message;
  }
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
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new JsonTextError(sidecar, null, fileErrorReason(error));
  }
  const doc = parseJsonText(sidecar, text);
  const value = (doc as { fetchedAt?: unknown } | null)?.fetchedAt;
  const date = typeof value === "string" ? parseInstant(value) : null;
  if (!date) {
    const line = text.split("\n").findIndex((l) => l.includes('"fetchedAt"'));
    throw new JsonTextError(sidecar, line < 0 ? 1 : line + 1, '"fetchedAt" must be an ISO 8601 time with a zone, like 2025-12-09T13:00:00Z');
  }
  return date;
}
