/** ingest's work: page files and folders stored one transaction per page, a line per page, then a total. */
import { readPageDocument } from "../../../input/page-document";
import { listPageFiles, PAGE_FILES, readPageFile } from "../../../input/page-files";
import { ingestPage } from "../../../pipeline/ingest-page";
import type { Database } from "../../../storage/database";
import type { OpenDatabase } from "../../../storage/open";
import { indexQueued } from "../../../storage/search-index";
import { describeFailure, failureLine } from "../failures";
import { notifyHub } from "../hub-notice";
import { displayPath } from "../named-files";
import { progressBar } from "../progress";

/** From this many files on, a terminal shows a progress bar instead of a line per file as it goes. */
const PROGRESS_BAR_FROM = 20;

interface IngestSummary {
  files: number;
  failed: number;
  /** Pages not read: the command was stopped before them. */
  notRead: number;
}

/** `stop` ends the run before the next page (the one under way is stored whole or not at all); the rest are counted as not read. */
export async function ingestPaths(opened: OpenDatabase, paths: string[], fetchedAt: Date | undefined, stop?: AbortSignal): Promise<IngestSummary> {
  const { files, missing, skipped } = await listPageFiles(paths);
  const totals = { new: 0, updated: 0, unchanged: 0 };
  const changedTags = new Set<string>();
  const failures: string[] = missing.map((m) => `${m.path}: ${m.reason}`);
  for (const failure of failures) console.error(`error: ${failure}`);
  const bar = files.length >= PROGRESS_BAR_FROM ? progressBar("ingesting [{bar}] {value}/{total} pages · {failed} failed") : null;
  // With a bar on the same terminal, the per-file lines wait until it is done.
  const deferred: string[] = [];
  const say = (line: string) => (bar && process.stdout.isTTY ? deferred.push(line) : console.log(line));
  bar?.start(files.length, 0, { failed: 0 });

  let done = 0;
  for (const path of files) {
    if (stop?.aborted) break;
    done++;
    const shown = displayPath(path);
    try {
      const page = await readPageFile(path, fetchedAt);
      const report = await ingestPage(opened.db, { name: shown, bytes: page.bytes, fetchedAt: page.fetchedAt }, readPageDocument);
      totals.new += report.new;
      totals.updated += report.updated;
      totals.unchanged += report.unchanged;
      for (const slug of report.changedTags) changedTags.add(slug);
      say(`${shown}: ${report.new} new, ${report.updated} updated, ${report.unchanged} unchanged`);
    } catch (error) {
      failures.push(describeFailure(shown, error));
      if (!bar) console.error(`error: ${failures[failures.length - 1]}`);
    }
    bar?.increment(1, { failed: failures.length });
  }
  bar?.stop();
  await indexForSearch(opened.db);
  for (const line of deferred) console.log(line);
  if (bar) for (const failure of failures.slice(missing.length)) console.error(`error: ${failure}`);
  const total = files.length + missing.length;
  if (skipped.length) {
    const shown = skipped.slice(0, 3).map(displayPath).join(", ") + (skipped.length > 3 ? ", …" : "");
    console.log(
      `skipped ${skipped.length} ${skipped.length === 1 ? "file" : "files"} that ${skipped.length === 1 ? "is" : "are"} not a page (${PAGE_FILES}): ${shown}`,
    );
  }
  const notRead = files.length - done;
  console.log(
    `ingested ${total - failures.length - notRead} of ${total} ${total === 1 ? "page" : "pages"}: ${totals.new} new, ${totals.updated} updated, ${totals.unchanged} unchanged` +
      (failures.length ? `; ${failures.length} failed` : "") +
      (notRead ? `; ${notRead} not read` : ""),
  );
  await notifyHub(changedTags, totals.new + totals.updated > 0);
  return { files: total, failed: failures.length, notRead };
}

/** The stories stored indexed for search before the command ends; if the database will not, they wait queued for the next indexer. */
async function indexForSearch(db: Database): Promise<void> {
  try {
    await indexQueued(db);
  } catch (error) {
    console.error(`warning: the stories stored are not all indexed for search yet (${failureLine(error)}): the next ingest, fetch or serve indexes them`);
  }
}
