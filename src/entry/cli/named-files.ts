/** Files the user names on the command line: shown as they are easiest to read, read with errors that name them. */
import { readFile } from "node:fs/promises";
import { relative } from "node:path";
import { fileErrorReason } from "../../input/page-files";

/** Paths below the working directory relative, others as given. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") ? rel : path;
}

/** A file the user named, read as text; a missing or unreadable one is an error naming it. */
export async function readNamedFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new Error(`${file}: ${fileErrorReason(error)}`);
  }
}
