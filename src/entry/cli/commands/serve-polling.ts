/**
 * serve's background work: indexing stored stories for search every second (what a server finds queued at start
 * included), and with --poll the polling pass, one at a time, and pruning after it on the retention's schedule.
 */
import type { AddressPolicy } from "../../../input/fetch/address-policy";
import { FeedFetcher } from "../../../input/fetch/http-fetch";
import { isoSeconds } from "../../../normalise/item";
import { ArticleFetching, fullTextLine } from "../../../pipeline/full-text";
import { OwedLeases } from "../../../pipeline/owed-leases";
import { SearchIndexing } from "../../../pipeline/search-indexing";
import { pollFeeds, type PollResult, type PollSummary } from "../../../pipeline/poll-feeds";
import { describePrune, firstPruneDelayMs, nextPruneDelayMs, pruneByPolicy, type PolicyPrune } from "../../../pipeline/prune-schedule";
import type { VersionBook } from "../../../publish/version-book";
import type { Database } from "../../../storage/database";
import { failureLine } from "../failures";
import { notifyHub } from "../hub-notice";
import { handBackDeadNamesakes, pollerName } from "../poller-name";
import type { Config } from "../../config";
import { FeedReadingPool } from "../../node/feed-reading";
import { leanWhile } from "../../node/lean-passes";
import type { Log } from "../../node/log";
import type { ServerMetrics } from "../../node/metrics";

/** How often `serve --poll` looks for feeds that are due. */
const POLL_EVERY_MS = 60_000;
/** How often a server indexes the stories queued for search (by its own passes, other pollers, the admin API): ?q= lags by about this. */
const INDEX_EVERY_MS = 1_000;
/**
 * The young generation of a reading thread's heap in a long-running server: V8 gives it up to 48 MB, and a thread
 * that reads one document at a time gains little from more (bench:memory: the peak falls by about 30 MB at 4).
 */
const READING_YOUNG_GENERATION_MB = 8;

/** What the background work shares with the server: settings, counters, feed versions, address policy and log. */
export interface Serving {
  /** Where polling and pruning run: on PostgreSQL a pool of their own, without the requests' statement bound. */
  db: Database;
  config: Config;
  metrics: ServerMetrics;
  versions: VersionBook;
  addresses: AddressPolicy;
  log: Log;
}

export interface BackgroundWork {
  /** The polling pass running now, if any. */
  readonly polling: Promise<void> | null;
  /** The pruning running now, if any. */
  readonly pruning: Promise<void> | null;
  /** Polling begins, and pruning where retention is on: once the database is prepared. Without --poll, nothing does. */
  start(): void;
  /** Nothing more begins, and the pass running gives back what it has claimed. */
  stop(): void;
  /** Closes the fetcher and the reading threads. */
  close(): Promise<unknown>;
}

/** The polling pass every POLL_EVERY_MS with `poll`, and pruning beside it, never at the same time. */
export function backgroundWork(poll: boolean, serving: Serving): BackgroundWork {
  const { db, config, metrics, addresses, log } = serving;
  let polling: Promise<void> | null = null;
  let pruning: Promise<void> | null = null;
  let stopped = false;
  // stopping the server stops the pass too: the feeds it has claimed and not done go back to the other pollers
  const stopPass = new AbortController();
  const fetcher = poll ? new FeedFetcher(addresses) : null;
  const reading = poll ? new FeedReadingPool({ youngGenerationMb: READING_YOUNG_GENERATION_MB }) : null;
  const articles = fetcher ? new ArticleFetching(fetcher, { spacingMs: config.articleSpacingMs, perPass: config.articlesPerPass }) : undefined;
  const indexing = searchIndexing(serving);
  // what a failing pass could not give back (its database gone): given back when the database answers again
  const owed = new OwedLeases();
  let namesakesDone = false;
  const pass = () => {
    if (!fetcher || polling || pruning) return;
    polling = leanWhile(async () => {
      if (!namesakesDone) {
        await handBackNamesakes(serving);
        namesakesDone = true;
      }
      return pollFeeds(db, metrics.timed(fetcher), {
        owner: pollerName(config.pollerName),
        owed,
        indexing,
        leaseSeconds: config.leaseSeconds,
        signal: stopPass.signal,
        reader: reading?.read,
        articles,
        onDone: (r) => sayPolled(r, serving),
      });
    })
      .then((summary) => passEnded(summary, serving))
      .catch((error: unknown) => {
        metrics.passEnded(false);
        log.error(`poll: ${failureLine(error)}`);
      })
      .finally(() => {
        polling = null;
      });
  };
  let timer: NodeJS.Timeout | null = null;
  let pruneTimer: NodeJS.Timeout | null = null;
  const prunePass = () => {
    pruning = Promise.resolve(polling)
      .then(() => pruneByPolicy(db, config, new Date()))
      .then((report) => pruned(report, serving))
      .catch((error: unknown) => log.error(`prune: ${failureLine(error)}`))
      .finally(() => {
        pruning = null;
        if (!stopped) pruneTimer = setTimeout(prunePass, nextPruneDelayMs(config));
      });
  };
  return {
    get polling() {
      return polling;
    },
    get pruning() {
      return pruning;
    },
    start: () => {
      if (stopped) return;
      indexing.every(INDEX_EVERY_MS);
      if (!fetcher) return;
      timer = setInterval(pass, POLL_EVERY_MS);
      log.info(`polling followed feeds every ${POLL_EVERY_MS / 1000} s`);
      pass();
      // serve --poll prunes too: what polling brings in, retention takes out again; after the pass running, never beside it
      if (config.retainDays !== null) {
        log.info(
          `pruning items last seen over ${config.retainDays} days ago every ${config.pruneEveryHours} h${config.keepTags.length ? ` (kept: tags ${config.keepTags.join(", ")})` : ""}`,
        );
        pruneTimer = setTimeout(prunePass, firstPruneDelayMs());
      }
    },
    stop: () => {
      stopPass.abort();
      indexing.stop();
      if (timer) clearInterval(timer);
      stopped = true;
      if (pruneTimer) clearTimeout(pruneTimer);
    },
    close: () => Promise.all([fetcher?.close(), reading?.close()]),
  };
}

/** The server's indexing for search; a failure is logged when it begins (a database gone fails every second), and its end too. */
function searchIndexing({ db, log }: Serving): SearchIndexing {
  let failing = false;
  const indexing = new SearchIndexing(db, (error) => {
    if (!failing) log.warn(`search index: ${failureLine(error)}; stories stay queued and are indexed once the database answers`);
    failing = true;
  });
  indexing.succeeded = () => {
    if (failing) log.info("search index: indexing again");
    failing = false;
  };
  return indexing;
}

/** Before the first pass: the feeds held by pollers of this name that are gone (handBackDeadNamesakes), freed and said. */
async function handBackNamesakes({ db, config, log }: Serving): Promise<void> {
  const { pollers, feeds } = await handBackDeadNamesakes(db, config.pollerName);
  if (feeds) log.info({ pollers, feeds }, `poll: gave back ${feeds} ${feeds === 1 ? "feed" : "feeds"} held by ${pollers.join(", ")}, gone`);
}

/** The feed a log line is about: its name and URL, and its title as the feed says it (scrubbed by the log). */
const feedOf = (source: PollResult["source"]) => ({ name: source.name, url: source.url, ...(source.title ? { title: source.title } : {}) });

/** One feed polled: counted, and a log line of how it went (and of its articles, where some failed). */
function sayPolled(r: PollResult, { metrics, log }: Serving): void {
  metrics.polled(r);
  const feed = feedOf(r.source);
  const counts = r.report ? { new: r.report.new, updated: r.report.updated, unchanged: r.report.unchanged } : {};
  if (r.outcome === "failed") log.warn({ feed, outcome: r.outcome, error: r.error }, `poll: ${r.source.url}: ${r.error}`);
  else if (r.outcome === "lease lost")
    log.warn({ feed, outcome: r.outcome }, `poll: ${r.source.url}: lease lost, another poller took it over; nothing recorded`);
  else
    log.info(
      { feed, outcome: r.outcome, ...counts },
      `poll: ${r.source.url}: ${r.outcome}${r.report ? `, ${r.report.new} new, ${r.report.updated} updated` : ""}`,
    );
  if (r.fullText?.failed) log.warn({ feed, fullText: r.fullText }, `poll: ${r.source.url}: full text: ${fullTextLine(r.fullText)}`);
}

/** A pass done: said where it brought news or failures, and its news rendered anew and told to the hub. */
async function passEnded(summary: PollSummary, { metrics, versions, log }: Serving): Promise<void> {
  metrics.passEnded(true);
  if (summary.withNews > 0 || summary.failed > 0) {
    // a failed feed was not read: it is counted apart, as fetch counts it
    const read = summary.feeds - summary.failed - summary.leaseLost;
    const failed = summary.failed ? `; ${summary.failed} failed` : "";
    log.info(
      { feeds: summary.feeds, read, withNews: summary.withNews, failed: summary.failed, new: summary.new, updated: summary.updated },
      `poll: ${read} of ${summary.feeds} ${summary.feeds === 1 ? "feed" : "feeds"} read, ${summary.withNews} with news${failed}`,
    );
  }
  if (summary.givenBack) log.info({ givenBack: summary.givenBack }, `poll: stopped, ${summary.givenBack} claimed feeds given back to other pollers unfetched`);
  if (summary.withNews > 0) {
    versions.invalidate();
    await notifyHub(summary.changedTags, true);
  }
}

/** A prune done (none where retention is off): counted, said, and the feeds it changed rendered anew and told to the hub. */
async function pruned(report: PolicyPrune | null, { metrics, versions, log }: Serving): Promise<void> {
  if (!report) return;
  metrics.pruned(report.items);
  log.info({ items: report.items, cutoff: isoSeconds(report.cutoff) }, `prune: removed ${describePrune(report)} last seen before ${isoSeconds(report.cutoff)}`);
  if (report.items) {
    versions.invalidate();
    await notifyHub(new Set(report.changedTags), true);
  }
}
