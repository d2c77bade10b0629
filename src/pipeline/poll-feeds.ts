/**
 * One polling pass: claim due feeds a few at a time (a lease, so that any
 * number of pollers on one database share the work), fetch each, store what
 * it says, and decide when to ask again: the feed's own ttl or
 * sy:updatePeriod, else its Cache-Control max-age, else an hour, clamped to
 * configured bounds; after failures, exponential backoff with jitter, or the
 * server's Retry-After. One failing feed never stops the rest. What a full
 * answer taught (ttl, max-age, validators) is kept on the source, so a 304
 * is polled again after the same interval as the 200 before it. Documents
 * read while others are being stored wait, and are stored together as one
 * group (storage/store-document storeDocuments): a transaction and a
 * statement of each kind for several feeds instead of one each.
 */
import { printableReason } from "../input/feed/errors";
import type { FeedReader } from "../input/feed/reader";
import type { FetchOutcome } from "../input/fetch/http-fetch";
import type { Fetcher } from "./fetcher";
import type { Database } from "../storage/database";
import type { ArticleFetching, FullTextReport } from "./full-text";
import { rootMessage } from "../storage/error-cause";
import { databaseClock, feedSourceAt, recordFetch, releaseLeases, type FeedSource, type Lease } from "../storage/sources";
import type { Stored, StoreReport, Storing } from "../storage/store-document";
import { claimFeeds } from "./feed-claims";
import { groupedStoring } from "./grouped-storing";
import { giveBackOrOwe, type OwedLeases } from "./owed-leases";
import { SearchIndexing } from "./search-indexing";

export type { Fetcher } from "./fetcher";

/**
 * The reader of this thread, loaded when a pass first needs it: the Node
 * shell reads on a pool of threads, and its own thread would otherwise load
 * the parsers (rss-parser, sanitize-html, htmlparser2) only to leave them unused.
 */
const readHere: FeedReader = async (document) => (await import("../input/feed/reader")).readFetchedFeed(document);

/**
 * Feeds a pass works on at once. Fetches of one origin still take turns (Fetcher.perOrigin); the workers beyond
 * them read and store, and the documents that wait to be stored together make the groups. More workers make larger
 * groups, so fewer transactions: 1,000-feed first passes on PostgreSQL took 2 to 7 % less time with 16 than with 8,
 * and about 8 % less again claiming 16 feeds at a time instead of 8. Not more: a group holds PGlite's one session
 * while it is stored, and each worker may hold a document (up to 5 MB) and its items.
 */
export const DEFAULT_CONCURRENCY = 16;

export interface PollOptions {
  now?: () => Date;
  concurrency?: number;
  minIntervalMs?: number;
  maxIntervalMs?: number;
  /** Poll every source, due or not: every one no poller has claimed since this pass began. */
  all?: boolean;
  random?: () => number;
  /** Each feed's result as it is done: the pass itself keeps only counters. */
  onDone?: (result: PollResult) => void;
  /** Who polls, as leases name it ("host pid N"). */
  owner?: string;
  /** How long a claimed feed stays this poller's; after it, another poller may take it (default DEFAULT_LEASE_SECONDS). */
  leaseSeconds?: number;
  /**
   * Stops the pass (Ctrl-C): nothing more is claimed, fetches in flight are
   * abandoned, a document being stored is stored (its transaction commits
   * whole), and the feeds claimed but not done are given back (summary.givenBack).
   */
  signal?: AbortSignal;
  /** Turns a fetched document into items: in this thread unless the shell gives a pool of threads. */
  reader?: FeedReader;
  /** Fetches the article pages of sources followed with full text; without it, they get none. */
  articles?: ArticleFetching;
  /**
   * Where a failing pass leaves the leases it could not give back (its database gone), and what the next
   * pass given the same gives back first: a poller that goes on passes the same one to every pass.
   */
  owed?: OwedLeases;
  /**
   * Indexes the stories the pass stores for search as it goes (kicked after each document that brought news), and
   * what is left when the pass ends, before it returns (default: an indexing of the pass's own).
   */
  indexing?: SearchIndexing;
}

export interface PollResult {
  source: FeedSource;
  /** "lease lost": the fetch outlived its lease and another poller took the feed; nothing of it was recorded. */
  outcome: "stored" | "not modified" | "failed" | "lease lost";
  report?: StoreReport;
  /** The article pages fetched for a source followed with full text. */
  fullText?: FullTextReport;
  error?: string;
  nextPollAt: Date;
}

/** What a pass did, in counters: its memory does not grow with the number of feeds. */
export interface PollSummary {
  feeds: number;
  stored: number;
  notModified: number;
  failed: number;
  leaseLost: number;
  /** Feeds claimed but not polled because the pass was stopped, their leases given back. */
  givenBack: number;
  new: number;
  updated: number;
  unchanged: number;
  /** Feeds whose document brought new or updated items. */
  withNews: number;
  /** Tags whose feeds the pass changed. */
  changedTags: Set<string>;
  /** Why the stories stored are not all indexed for search (the database gone at the end): they stay queued for the next indexer. */
  indexFailure?: unknown;
}

const DEFAULT_INTERVAL_MS = 60 * 60_000;
/**
 * Five minutes: a feed handed out has nine tenths of it left (feed-claims renews the leases of those waiting to be
 * handed out): its fetch (30 s, http-fetch's timeout), its wait in the fetcher behind others redirected to the same
 * host (16 workers: 7 rounds of its two fetches, 210 s) and its storing, so that only a stalled poller loses feeds.
 */
export const DEFAULT_LEASE_SECONDS = 300;

/** A fetch whose lease was taken over: what it would have stored is rolled back. */
class LeaseLostError extends Error {
  override name = "LeaseLostError";
}

/**
 * Claims due feeds a batch at a time, as workers free up, and polls them.
 * Any number of passes, in this process or others on the same database, may
 * run at once: each feed is claimed by one of them.
 */
export async function pollFeeds(db: Database, fetcher: Fetcher, options: PollOptions = {}): Promise<PollSummary> {
  const now = options.now ?? (() => new Date());
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const owner = options.owner ?? "feedwerk";
  const leaseSeconds = options.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  // first what an earlier pass could not give back: its database answers again if this does
  await options.owed?.settle(db);
  const since = options.all ? await databaseClock(db) : undefined;
  const summary: PollSummary = {
    feeds: 0,
    stored: 0,
    notModified: 0,
    failed: 0,
    leaseLost: 0,
    givenBack: 0,
    new: 0,
    updated: 0,
    unchanged: 0,
    withNews: 0,
    changedTags: new Set(),
  };

  const indexing = options.indexing ?? new SearchIndexing(db);
  const store = groupedStoring(db, concurrency, options.signal);
  const claims = claimFeeds(db, { owner, limit: concurrency, leaseSeconds, since, now, signal: options.signal, perOrigin: fetcher.perOrigin });
  const worker = async () => {
    try {
      for (let source = await claims.next(); source; source = await claims.next()) {
        const result = await claims.polling(source, fetcher, (feed, turn) => pollOne(db, turn, store, feed, now(), options));
        if (!result) continue; // abandoned: given back below
        claims.done(source);
        count(summary, result);
        if (result.report && result.report.new + result.report.updated > 0) indexing.kick();
        options.onDone?.(result);
      }
    } catch (error) {
      // the pass is failing: the others finish what is claimed already, and claim nothing more
      claims.exhaust();
      throw error;
    }
  };
  try {
    // every worker ends before the pass does, even when one of them fails: nothing is left writing behind it
    const settled = Promise.allSettled(Array.from({ length: concurrency }, worker));
    const failed = (await settled.finally(claims.close)).find((r) => r.status === "rejected");
    if (failed) {
      if (!options.signal?.aborted) await giveBackOrOwe(db, claims.held(), options.owed);
      throw failed.reason;
    }
  } finally {
    await claims.close(); // closed already unless the workers could not even start
    // a stopped pass gives back what it holds, failing or not
    if (options.signal?.aborted) summary.givenBack = await releaseLeases(db, claims.held());
  }
  await indexing.settle().catch((error: unknown) => {
    summary.indexFailure = error;
  });
  return summary;
}

function count(summary: PollSummary, result: PollResult): void {
  summary.feeds++;
  if (result.outcome === "stored") summary.stored++;
  else if (result.outcome === "not modified") summary.notModified++;
  else if (result.outcome === "failed") summary.failed++;
  else summary.leaseLost++;
  if (!result.report) return;
  summary.new += result.report.new;
  summary.updated += result.report.updated;
  summary.unchanged += result.report.unchanged;
  if (result.report.new + result.report.updated > 0) summary.withNews++;
  for (const tag of result.report.changedTags) summary.changedTags.add(tag);
}

/** What the steps of one claimed feed's poll share. */
interface FeedPoll {
  db: Database;
  store: (storing: Storing) => Promise<Stored | null>;
  source: FeedSource;
  fetchedAt: Date;
  lease: Lease;
  options: PollOptions;
  /** The configured bounds of the interval to the next poll. */
  min: number;
  max: number;
}

/**
 * How one claimed feed went; null when the pass was stopped before its result was recorded (its lease is given back).
 * `store` stores a document with others read meanwhile, or gives null when the pass stopped before it was stored.
 */
async function pollOne(
  db: Database,
  fetcher: Fetcher,
  store: (storing: Storing) => Promise<Stored | null>,
  source: FeedSource,
  fetchedAt: Date,
  options: PollOptions,
): Promise<PollResult | null> {
  const min = options.minIntervalMs ?? 15 * 60_000;
  const max = options.maxIntervalMs ?? 24 * 60 * 60_000;
  const lease: Lease = { owner: source.leaseOwner!, token: source.leaseToken! };
  const poll: FeedPoll = { db, store, source, fetchedAt, lease, options, min, max };
  try {
    const out = await fetcher.fetch(source.url!, { etag: source.etag, lastModified: source.lastModified }, options.signal);
    const url = out.movedTo ?? source.url!;
    if (out.movedTo && out.movedTo !== source.url) await refuseMoveOntoFollowed(db, source, out.movedTo);
    if (out.status === "not-modified") return await recordNotModified(poll, out, url);
    return await readAndStore(poll, out, url);
  } catch (error) {
    if (error instanceof LeaseLostError) return leaseLost(poll);
    // not the feed's failure: the pass is stopping
    if (options.signal?.aborted) return null;
    return recordFailure(poll, error);
  }
}

/** "lease lost": nothing of the fetch was recorded, and the feed's next poll is its new holder's to set. */
const leaseLost = ({ source, fetchedAt }: FeedPoll): PollResult => ({ source, outcome: "lease lost", nextPollAt: source.nextPollAt ?? fetchedAt });

/** The interval to the next poll, within the configured bounds. */
const clamp = ({ min, max }: FeedPoll, ms: number) => Math.min(max, Math.max(min, ms));

/** A feed that moved permanently to another followed source's address is a failure that says what to do about it. */
async function refuseMoveOntoFollowed(db: Database, source: FeedSource, movedTo: string): Promise<void> {
  // the new address is another source's: the two would be one feed under two names, and the URL can be only one's
  const holder = await feedSourceAt(db, movedTo);
  if (holder && holder.id !== source.id) {
    throw new Error(
      `moved permanently to ${movedTo}, which is followed already as '${holder.name}': stop following this one (\`sources remove '${source.name.replaceAll("'", "'\\''")}'\`), after giving its tags to '${holder.name}' if they differ`,
    );
  }
}

/** A 304: the fetch recorded, and the next poll set by what the feed said before. */
async function recordNotModified(poll: FeedPoll, out: Extract<FetchOutcome, { status: "not-modified" }>, url: string): Promise<PollResult> {
  const { db, source, fetchedAt, lease } = poll;
  // a 304 that sends Cache-Control updates the stored max-age (RFC 9111, 4.3.4); the ttl stays the feed's
  const maxAgeSeconds = maxAge(out.cacheControl) ?? source.maxAgeSeconds;
  const nextPollAt = new Date(fetchedAt.getTime() + clamp(poll, interval(source.ttlMinutes, maxAgeSeconds)));
  const recorded = await recordFetch(
    db,
    source.id,
    { url, maxAgeSeconds, lastFetchAt: fetchedAt, lastStatus: "not modified", errorCount: 0, lastError: null, nextPollAt },
    lease,
  );
  return recorded ? withFullText(db, poll.store, source, { source, outcome: "not modified", nextPollAt }, poll.options) : leaseLost(poll);
}

/** A full answer: the document read, and stored with the fetch's record unless it is the same as the last one. */
async function readAndStore(poll: FeedPoll, out: Extract<FetchOutcome, { status: "ok" }>, url: string): Promise<PollResult | null> {
  const { db, store, source, fetchedAt, lease, options } = poll;
  const feed = await (options.reader ?? readHere)({
    bytes: out.bytes,
    contentType: out.contentType,
    namespace: source.name,
    url: out.url,
    fetchedAt,
    knownSha256: source.bodySha256,
    readAs: source.readAs ?? undefined,
    select: source.select,
  });
  const learned = {
    ttlMinutes: feed.ttlMinutes ? Math.min(Math.max(1, Math.round(feed.ttlMinutes)), 2_147_483_647) : null,
    maxAgeSeconds: maxAge(out.cacheControl),
  };
  const nextPollAt = new Date(fetchedAt.getTime() + clamp(poll, interval(learned.ttlMinutes, learned.maxAgeSeconds)));
  const bodySha256 = feed.sha256;
  // a broken document whose entries could be read is stored, and the operator told why it is broken
  const parseWarning = feed.bozo ? printableReason(feed.bozo) : null;
  const fetched = {
    url,
    etag: out.etag,
    lastModified: out.lastModified,
    ...learned,
    lastFetchAt: fetchedAt,
    errorCount: 0,
    lastError: null,
    parseWarning,
    nextPollAt,
    title: feed.title ?? source.title,
    // what the document was read as, for `sources list`: the next one is read by what it is, as before
    lastReadAs: feed.readAs === "page" ? ("page" as const) : ("feed" as const),
  };
  // Many feeds send no ETag or Last-Modified: the same bytes again are a 304 they did not say,
  // and storing them would add a document and an observation per entry at every poll.
  if (bodySha256 === source.bodySha256 || !feed.entries) {
    const recorded = await recordFetch(db, source.id, { ...fetched, lastStatus: "not modified" }, lease);
    return recorded ? withFullText(db, store, source, { source, outcome: "not modified", nextPollAt }, options) : leaseLost(poll);
  }
  if (options.signal?.aborted) return null;
  // the source's own tags are added to its items when they are stored, and follow every change of them
  const { items: found, entryKeys, retiredIds } = feed.entries;
  // The document and the fetch's record commit together, and only while the lease is still this
  // fetch's: a fetch that outlived its lease stores nothing over what the feed's new holder stored.
  const stored = await store({
    doc: {
      source: { kind: "feed", name: source.name, url },
      name: out.url,
      sha256: bodySha256,
      fetchedAt,
      items: found,
      identity: { entryKeys, retiredIds },
    },
    alongside: async (tx) => {
      if (!(await recordFetch(tx, source.id, { ...fetched, bodySha256, lastStatus: "ok" }, lease))) throw new LeaseLostError(source.url!);
    },
  });
  if (!stored) return null;
  if ("error" in stored) throw stored.error;
  const report = stored.report;
  return withFullText(db, store, source, { source, outcome: "stored", report, nextPollAt }, options);
}

/** A failed fetch, read or store: recorded with the next poll backed off, or as the server asked (Retry-After). */
async function recordFailure(poll: FeedPoll, error: unknown): Promise<PollResult> {
  const { db, source, fetchedAt, lease, options, min, max } = poll;
  // the innermost cause: a statement the database refused is said by the database, not by drizzle's "Failed query: …"
  const message = printableReason(reasonFor(rootMessage(error), source.url!), 1000);
  const errors = source.errorCount + 1;
  const retryAfter = (error as { retryAfterMs?: number | null }).retryAfterMs;
  // 2^n minutes from the minimum interval, ±20 %, at most the maximum
  const backoff = Math.min(max, min * 2 ** Math.min(errors - 1, 16)) * (0.8 + 0.4 * (options.random ?? Math.random)());
  const nextPollAt = new Date(fetchedAt.getTime() + (retryAfter ? Math.min(max, Math.max(retryAfter, min)) : backoff));
  const recorded = await recordFetch(
    db,
    source.id,
    { lastFetchAt: fetchedAt, lastStatus: "failed", errorCount: errors, lastError: message, nextPollAt },
    lease,
  );
  return recorded ? { source, outcome: "failed", error: message, nextPollAt } : leaseLost(poll);
}

/**
 * The result, with the article pages of a source followed with full text fetched after its document: those of
 * new stories, and those a cap or a failure left for this pass. A failure here is the article's, never the source's.
 */
async function withFullText(
  db: Database,
  store: (storing: Storing) => Promise<Stored | null>,
  source: FeedSource,
  result: PollResult,
  options: PollOptions,
): Promise<PollResult> {
  if (!source.fullText || !options.articles || options.signal?.aborted) return result;
  try {
    const fullText = await options.articles.fetchFor(db, source, options.reader ?? readHere, store, options.signal);
    return { ...result, fullText };
  } catch (error) {
    // the source's own fetch is recorded already: what went wrong is its articles', said with them
    return { ...result, fullText: { fetched: 0, notModified: 0, failed: 1, refused: 0, error: printableReason(rootMessage(error), 500) } };
  }
}

/** The feed's own interval, else the HTTP max-age, else the default, in milliseconds. */
function interval(ttlMinutes: number | null, maxAgeSeconds: number | null): number {
  return ttlMinutes ? ttlMinutes * 60_000 : maxAgeSeconds !== null ? maxAgeSeconds * 1000 : DEFAULT_INTERVAL_MS;
}

/** Cache-Control max-age in seconds, bounded to what fits the column. */
function maxAge(cacheControl: string | null): number | null {
  const m = cacheControl ? /max-age\s*=\s*(\d+)/i.exec(cacheControl) : null;
  return m ? Math.min(Number(m[1]), 2_147_483_647) : null;
}

/** Whoever shows a source's error names the source: the reason need not repeat its URL (a redirect target stays). */
function reasonFor(message: string, url: string): string {
  if (message.startsWith(`${url}: `)) return message.slice(url.length + 2);
  return message.replace(` ${url}: `, ": ");
}
