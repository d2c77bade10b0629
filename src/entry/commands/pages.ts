/** parse and ingest: saved news pages read, and stored one transaction per page. */
import type { Command } from "commander";
import { decodePage } from "../../input/page/decode";
import { parsePage } from "../../input/page/parse";
import { listPageFiles, readPageFile } from "../../input/page-files";
import { itemToJson } from "../../normalise/item";
import { ingestPage } from "../../pipeline/ingest-page";
import type { OpenDatabase } from "../../storage/open";
import { instant } from "../cli/arguments";
import { withDatabase } from "../cli/database";
import { describeFailure } from "../cli/failures";
import { notifyHub } from "../cli/hub-notice";
import { displayPath } from "../cli/named-files";
import { progressBar } from "../cli/progress";

/** From this many files on, a terminal shows a progress bar instead of a line per file as it goes. */
const PROGRESS_BAR_FROM = 20;

interface IngestSummary {
  files: number;
  failed: number;
}

export async function ingestPaths(opened: OpenDatabase, paths: string[], fetchedAt: Date | undefined): Promise<IngestSummary> {
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

  for (const path of files) {
    const shown = displayPath(path);
    try {
      const page = await readPageFile(path, fetchedAt);
      const report = await ingestPage(opened.db, { name: shown, bytes: page.bytes, fetchedAt: page.fetchedAt });
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
  for (const line of deferred) console.log(line);
  if (bar) for (const failure of failures.slice(missing.length)) console.error(`error: ${failure}`);
  const total = files.length + missing.length;
  if (skipped.length) {
    const shown = skipped.slice(0, 3).map(displayPath).join(", ") + (skipped.length > 3 ? ", …" : "");
    console.log(
      `skipped ${skipped.length} ${skipped.length === 1 ? "file" : "files"} that ${skipped.length === 1 ? "is" : "are"} not a page (*.txt): ${shown}`,
    );
  }
  console.log(
    `ingested ${total - failures.length} of ${total} ${total === 1 ? "page" : "pages"}: ${totals.new} new, ${totals.updated} updated, ${totals.unchanged} unchanged` +
      (failures.length ? `; ${failures.length} failed` : ""),
  );
  await notifyHub(changedTags, totals.new + totals.updated > 0);
  return { files: total, failed: failures.length };
}

export function addPageCommands(program: Command): void {
  program
    .command("parse")
    .description("print the items of one page as JSON; touches no database")
    .argument("<file>", "a saved page")
    .option("--fetched-at <iso>", "when the page was fetched (default: its .meta.json, else its modification time)", instant)
    .action(async (file: string, options: { fetchedAt?: Date }) => {
      try {
        const page = await readPageFile(file, options.fetchedAt);
        const items = parsePage(decodePage(page.bytes), page.fetchedAt);
        process.stdout.write(`${JSON.stringify({ items: items.map(itemToJson) }, null, 2)}\n`);
      } catch (error) {
        console.error(`error: ${describeFailure(file, error)}`);
        process.exitCode = 1;
      }
    });

  program
    .command("ingest")
    .description("store pages (files or folders); one transaction per page")
    .argument("<paths...>", "page files or folders of them")
    .option("--fetched-at <iso>", "when the pages were fetched (default: each page's .meta.json, else its modification time)", instant)
    .action(async (paths: string[], options: { fetchedAt?: Date }) => {
      const summary = await withDatabase((opened) => ingestPaths(opened, paths, options.fetchedAt));
      if (summary.failed > 0) process.exitCode = 1;
    });
}
