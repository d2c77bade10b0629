/**
 * parse and ingest: saved pages read, and stored one transaction per page. parse touches no database and
 * loads nothing of storing (ingest-pages.ts, loaded when ingest runs).
 */
import type { Command } from "commander";
import { readPageDocument } from "../../input/page-document";
import { readPageFile } from "../../input/page-files";
import { itemToJson } from "../../normalise/item";
import { instant } from "../cli/arguments";
import { describeFailure } from "../cli/failures";

export function addPageCommands(program: Command): void {
  program
    .command("parse")
    .description("print the items of saved pages (the portal's text pages, HTML article pages) as JSON; touches no database")
    .argument("<files...>", "saved pages")
    .option("--fetched-at <iso>", "when the pages were fetched (default: each page's .meta.json, else its modification time)", instant)
    .option("--jsonl", 'one line per file, {"file", "items"} or {"file", "error"}, going on past a page that cannot be read')
    .action(async (files: string[], options: { fetchedAt?: Date; jsonl?: boolean }) => {
      if (!options.jsonl && files.length > 1) throw new Error(`parse reads one page; with --jsonl, a line for each of ${files.length}`);
      for (const file of files) {
        try {
          const page = await readPageFile(file, options.fetchedAt);
          const read = readPageDocument(page.bytes, page.fetchedAt);
          const items = read.items.map((item) => (read.kind === "html" ? { ...itemToJson(item), ...read.extras } : itemToJson(item)));
          process.stdout.write(options.jsonl ? `${JSON.stringify({ file, items })}\n` : `${JSON.stringify({ items }, null, 2)}\n`);
        } catch (error) {
          const reason = describeFailure(file, error);
          if (options.jsonl) process.stdout.write(`${JSON.stringify({ file, error: reason })}\n`);
          else console.error(`error: ${reason}`);
          process.exitCode = 1;
        }
      }
    });

  program
    .command("ingest")
    .description("store pages (files or folders of *.txt, *.html, *.htm); one transaction per page")
    .argument("<paths...>", "page files or folders of them")
    .option("--fetched-at <iso>", "when the pages were fetched (default: each page's .meta.json, else its modification time)", instant)
    .action(async (paths: string[], options: { fetchedAt?: Date }) => {
      const [{ withDatabase }, { ingestPaths }] = await Promise.all([import("../cli/database"), import("./ingest-pages")]);
      const summary = await withDatabase((opened) => ingestPaths(opened, paths, options.fetchedAt));
      if (summary.failed > 0) process.exitCode = 1;
    });
}
