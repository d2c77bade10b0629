/** fetch and items: a polling pass over the followed feeds, and what one of them brought. */
import type { Command } from "commander";
import { AddressPolicy } from "../../input/fetch/address-policy";
import { FeedFetcher } from "../../input/fetch/http-fetch";
import { isoSeconds, itemToJson } from "../../normalise/item";
import { pollFeeds } from "../../pipeline/poll-feeds";
import { findItem } from "../../storage/queries";
import { dueFeedSources, findFeedSource, itemIdsOfSource, listFeedSources } from "../../storage/sources";
import { withDatabase } from "../cli/database";
import { notifyHub } from "../cli/hub-notice";
import { progressBar } from "../cli/progress";
import { printTable } from "../cli/table";
import { readConfig } from "../config";

export function addFeedCommands(program: Command): void {
  program
    .command("fetch")
    .description("one polling pass over the feeds that are due")
    .option("--all", "every feed, due or not")
    .action(async (options: { all?: boolean }) => {
      const failed = await withDatabase(async (opened) => {
        const fetcher = new FeedFetcher(new AddressPolicy(readConfig().allowedHosts));
        const bar = progressBar("fetching [{bar}] {value}/{total} feeds");
        const total = options.all ? (await listFeedSources(opened.db)).length : (await dueFeedSources(opened.db, new Date())).length;
        bar?.start(total, 0);
        try {
          const results = await pollFeeds(opened.db, fetcher, { all: options.all, onDone: () => bar?.increment() });
          bar?.stop();
          if (!results.length) {
            console.log("no feed is due");
            return 0;
          }
          printTable(
            ["feed", "result", "new", "updated", "unchanged", "next poll"],
            results
              .sort((a, b) => (a.source.name < b.source.name ? -1 : 1))
              .map((r) => [r.source.name, r.outcome === "failed" ? `failed: ${r.error}` : r.outcome, String(r.report?.new ?? 0), String(r.report?.updated ?? 0), String(r.report?.unchanged ?? 0), isoSeconds(r.nextPollAt)]),
          );
          const changed = new Set(results.flatMap((r) => r.report?.changedTags ?? []));
          await notifyHub(changed, results.some((r) => (r.report?.new ?? 0) + (r.report?.updated ?? 0) > 0));
          // the table cuts long cells: the reasons in full, where the operator looks for them
          for (const r of results) if (r.outcome === "failed") console.error(`error: ${r.source.url}: ${r.error}`);
          const bad = results.filter((r) => r.outcome === "failed").length;
          console.log(`${results.length - bad} of ${results.length} feeds read${bad ? `; ${bad} failed` : ""}`);
          return bad;
        } finally {
          bar?.stop();
          await fetcher.close();
        }
      });
      if (failed > 0) process.exitCode = 1;
    });

  program
    .command("items")
    .description("the stored items of one followed feed")
    .requiredOption("--source <url-or-name>", "the feed")
    .option("--json", "as JSON, in the shape 'parse' prints")
    .action(async (options: { source: string; json?: boolean }) => {
      await withDatabase(async (opened) => {
        const source = await findFeedSource(opened.db, options.source);
        if (!source) throw new Error(`no followed feed is called or found at '${options.source}'`);
        const found = (await Promise.all((await itemIdsOfSource(opened.db, source.id)).map((id) => findItem(opened.db, id)))).filter(
          (i): i is NonNullable<typeof i> => i !== null,
        );
        if (options.json) process.stdout.write(`${JSON.stringify({ items: found.map(itemToJson) }, null, 2)}\n`);
        else for (const item of found) console.log(`${item.publishedAt ? isoSeconds(item.publishedAt) : "(undated)           "}  ${item.title}`);
      });
    });
}
