/**
 * fetch: one polling pass over the followed feeds, a row per feed as it is
 * done. Loaded by the command once it has started its reading thread, so
 * that the thread loads its modules while this one loads these.
 */
import { AddressPolicy } from "../../../input/fetch/address-policy";
import { FeedFetcher } from "../../../input/fetch/http-fetch";
import { isoSeconds } from "../../../normalise/item";
import { ArticleFetching, fullTextLine } from "../../../pipeline/full-text";
import { pollFeeds } from "../../../pipeline/poll-feeds";
import type { Database } from "../../../storage/database";
import { feedSchedule } from "../../../storage/sources";
import { withDatabase } from "../database";
import { failureLine } from "../failures";
import { notifyHub } from "../hub-notice";
import { handBackDeadNamesakes, pollerName } from "../poller-name";
import { EXIT_ON, stopOnSignals } from "../stop-signals";
import { rowPrinter } from "../table";
import { readConfig } from "../../config";
import type { FeedReadingPool } from "../../node/feed-reading";

/** The table a pass prints, a row per feed: the widths of every column but the last. */
export const FETCH_TABLE = { head: ["feed", "result", "new", "updated", "unchanged", "next poll"], widths: [38, 22, 5, 7, 9] };

/** The pass, reading on `reading` (closed when the pass is done); sets the exit code. */
export async function fetchPass(options: { all?: boolean }, reading: FeedReadingPool): Promise<void> {
  // Ctrl-C (or SIGTERM) stops the pass: what it claimed and has not done goes back to the other pollers
  // at once, not when its lease runs out; a second one ends the process as it is (the leases then run out)
  const stopping = stopOnSignals();
  const failed = await withDatabase(async (opened) => {
    const config = readConfig();
    const fetcher = new FeedFetcher(new AddressPolicy(config.allowedHosts));
    const articles = new ArticleFetching(fetcher, { spacingMs: config.articleSpacingMs, perPass: config.articlesPerPass });
    // a row per feed as it is done, not a table at the end: a pass over ten thousand feeds keeps no list of them
    const row = rowPrinter(FETCH_TABLE.head, FETCH_TABLE.widths);
    try {
      const namesakes = await handBackDeadNamesakes(opened.db, config.pollerName);
      if (namesakes.feeds)
        console.log(`gave back ${namesakes.feeds} ${namesakes.feeds === 1 ? "feed" : "feeds"} held by ${namesakes.pollers.join(", ")}, gone`);
      const summary = await pollFeeds(opened.db, fetcher, {
        all: options.all,
        owner: pollerName(config.pollerName),
        leaseSeconds: config.leaseSeconds,
        signal: stopping.signal,
        reader: reading.read,
        articles,
        onDone: (r) => {
          row([
            r.source.name,
            r.outcome === "failed" ? `failed: ${r.error}` : r.outcome,
            // no items were read (not modified, failed, lease lost): no counts, rather than counts of nothing
            r.report ? String(r.report.new) : "-",
            r.report ? String(r.report.updated) : "-",
            r.report ? String(r.report.unchanged) : "-",
            isoSeconds(r.nextPollAt),
          ]);
          // the row cuts long reasons: the reason in full, where the operator looks for it
          if (r.outcome === "failed") console.error(`error: ${r.source.url}: ${r.error}`);
          const f = r.fullText;
          if (f && f.fetched + f.notModified + f.failed + f.refused > 0) console.log(`  full text: ${fullTextLine(f)}`);
        },
      });
      if (summary.indexFailure) indexBehind(summary.indexFailure);
      const stoppedBy = stopping.stoppedBy();
      if (stoppedBy) {
        await notifyHub(summary.changedTags, summary.withNews > 0);
        console.error(
          `error: stopped by ${stoppedBy}: ${summary.feeds} ${summary.feeds === 1 ? "feed" : "feeds"} done, ${summary.givenBack} given back to other pollers unfetched`,
        );
        process.exitCode = EXIT_ON[stoppedBy];
        return 0;
      }
      if (!summary.feeds) {
        console.log(await nothingToPoll(opened.db, Boolean(options.all)));
        return 0;
      }
      await notifyHub(summary.changedTags, summary.withNews > 0);
      const read = summary.feeds - summary.failed - summary.leaseLost;
      const lost = summary.leaseLost ? `; ${summary.leaseLost} given up to another poller (lease expired)` : "";
      console.log(`${read} of ${summary.feeds} ${summary.feeds === 1 ? "feed" : "feeds"} read${summary.failed ? `; ${summary.failed} failed` : ""}${lost}`);
      return summary.failed;
    } finally {
      await fetcher.close();
    }
  }).finally(async () => {
    stopping.release();
    await reading.close();
  });
  // a stop that came after the pass had returned (while the hub was told) still ends as a stop
  const stopped = stopping.stoppedBy();
  if (stopped) process.exitCode = EXIT_ON[stopped];
  else if (failed > 0) process.exitCode = 1;
}

/** The pass's stories could not all be indexed for search before the command ends: they wait queued for the next indexer. */
function indexBehind(error: unknown): void {
  console.error(`warning: the stories stored are not all indexed for search yet (${failureLine(error)}): the next fetch or serve indexes them`);
}

/** Why a pass polled nothing, and what comes next: the line an operator reads when `fetch` did nothing. */
async function nothingToPoll(db: Database, all: boolean): Promise<string> {
  const { followed, held, nextDueAt } = await feedSchedule(db);
  if (!followed) return "no feed is followed: add one with `sources add URL`, or a list with `sources import FILE.opml`";
  const feeds = `${followed} ${followed === 1 ? "feed" : "feeds"} followed`;
  const others = held ? `, ${held} being polled by another poller` : "";
  if (all)
    return `no feed to poll: ${feeds}${held === followed ? ", all being polled by other pollers" : `${others}, and the rest polled by other pollers since this pass began`}`;
  const next = nextDueAt && nextDueAt.getTime() > Date.now() ? `; the next is due at ${isoSeconds(nextDueAt)} (\`fetch --all\` polls every feed now)` : "";
  return `no feed is due: ${feeds}${others}${next}`;
}
