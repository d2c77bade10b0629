/**
 * One saved page read into what `parse` prints of it: its items as JSON (an HTML page's with what the page says
 * besides them), or the reason it cannot be read in the `FILE[:LINE]: reason` form. Run where `parse` runs, or on
 * a thread of the reading pool when it reads many pages (feed-reading.ts).
 */
import { readPageDocument } from "../../input/page-document";
import { readPageFile } from "../../input/page-files";
import { itemToJson } from "../../normalise/item";
import { describeFailure } from "./failures";

export type PageLine = { file: string; items: unknown[] } | { file: string; error: string };

export async function readPageLine(file: string, fetchedAt?: Date): Promise<PageLine> {
  try {
    const page = await readPageFile(file, fetchedAt);
    const read = readPageDocument(page.bytes, page.fetchedAt);
    return { file, items: read.items.map((item) => (read.kind === "html" ? { ...itemToJson(item), ...read.extras } : itemToJson(item))) };
  } catch (error) {
    return { file, error: describeFailure(file, error) };
  }
}
