/**
 * parse and ingest: saved pages read, and stored one transaction per page. parse touches no database and
 * loads nothing of storing (ingest-pages.ts, loaded when ingest runs).
 */
import type { Command } from "commander";
import { availableParallelism } from "node:os";
import { instant } from "../arguments";
import { describeFailure } from "../failures";
import type { PageLine } from "../page-lines";
import type { FeedReadingPool } from "../../node/feed-reading";

/** From this many pages on, `parse --jsonl` reads on threads: fewer are read before the threads would have started. */
const MANY = 8;

/** A thread per processor: the main thread only writes the lines. */
async function readingPool(): Promise<FeedReadingPool> {
  const { FeedReadingPool } = await import("../../node/feed-reading");
  return new FeedReadingPool({ size: Math.max(1, Math.min(4, availableParallelism())) });
}

export function addPageCommands(program: Command): void {
  program
    .command("parse")
    .description("print the items of saved pages (the portal's text pages, HTML article pages) as JSON; touches no database")
    .argument("<files...>", "saved pages")
    .option("--fetched-at <iso>", "when the pages were fetched (default: each page's .meta.json, else its modification time)", instant)
    .option("--jsonl", 'one line per file, {"file", "items"} or {"file", "error"}, going on past a page that cannot be read')
    .action(async (files: string[], options: { fetchedAt?: Date; jsonl?: boolean }) => {
      if (!options.jsonl && files.length > 1) throw new Error(`parse reads one page; with --jsonl, a line for each of ${files.length}`);
      // many pages are read on a pool of threads, a page per processor at once; the lines come out in the files' order
      const pool = files.length >= MANY ? await readingPool() : null;
      try {
        // a thread that dies or is stopped on a page fails that page alone, as a page that cannot be read does
        const lines = files.map((file) =>
          pool ? pool.readPageLine(file, options.fetchedAt).catch((error: unknown): PageLine => ({ file, error: describeFailure(file, error) })) : null,
        );
        for (const [k, file] of files.entries()) {
          // read here when there are few: the readers (linkedom, Readability) are loaded by the threads otherwise
          const line = (await lines[k]) ?? (await (await import("../page-lines")).readPageLine(file, options.fetchedAt));
          if ("error" in line) process.exitCode = 1;
          if (options.jsonl) process.stdout.write(`${JSON.stringify(line)}\n`);
          else if ("error" in line) console.error(`error: ${line.error}`);
          else process.stdout.write(`${JSON.stringify({ items: line.items }, null, 2)}\n`);
        }
      } finally {
        await pool?.close();
      }
    });

  program
    .command("ingest")
    .description("store pages (files or folders of *.txt, *.html, *.htm); one transaction per page")
    .argument("<paths...>", "page files or folders of them")
    .option("--fetched-at <iso>", "when the pages were fetched (default: each page's .meta.json, else its modification time)", instant)
    .action(async (paths: string[], options: { fetchedAt?: Date }) => {
      const [{ withDatabase }, { ingestPaths }, { EXIT_ON, stopOnSignals }] = await Promise.all([
        import("../database"),
        import("./ingest-pages"),
        import("../stop-signals"),
      ]);
      // Ctrl-C stops before the next page and says what was left; the pages stored stay stored
      const stopping = stopOnSignals();
      const summary = await withDatabase((opened) => ingestPaths(opened, paths, options.fetchedAt, stopping.signal)).finally(stopping.release);
      // a stop after the last page (while indexing) left nothing undone: the run ends as it would have
      const stoppedBy = summary.notRead > 0 ? stopping.stoppedBy() : null;
      if (stoppedBy) {
        console.error(`error: stopped by ${stoppedBy}: ${summary.notRead} ${summary.notRead === 1 ? "page" : "pages"} not read`);
        process.exitCode = EXIT_ON[stoppedBy];
      } else if (summary.failed > 0) process.exitCode = 1;
    });
}
