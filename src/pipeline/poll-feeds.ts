/**
 * One polling pass: fetch each due feed (a few at a time), store what it
 * says, and decide when to ask again: the feed's own ttl or
 * sy:updatePeriod, else its Cache-Control max-age, else an hour, clamped to
 * configured bounds; after failures, exponential backoff with jitter, or the
 * server's Retry-After. One failing feed never stops the rest. What a full
 * answer taught (ttl, max-age, validators) is kept on the source, so a 304
 * is polled again after the same interval as the 200 before it.
 */
import { bytesToHex } from "@noble/hashes/utils.js";
import { printableReason } from "../input/feed/errors";
import { readFeedDocument } from "../input/feed/read-feed";
import { feedEntries } from "../input/feed/to-items";
import type { Database } from "../storage/database";
import { dueFeedSources, listFeedSources, recordFetch, type FeedSource } from "../storage/sources";
import { storeDocument, type StoreReport } from "../storage/store-document";

/** What the pass needs of a fetcher; the Node shell gives it undici with the address policy. */
export interface Fetcher {
  fetch(url: string, validators: { etag?: string | null; lastModified?: string | null }): Promise<
    | { status: "ok"; url: string; movedTo: string | null; bytes: Uint8Array; contentType: string | null; etag: string | null; lastModified: string | null; cacheControl: string | null }
    | { status: "not-modified"; url: string; movedTo: string | null; cacheControl: string | null }
  >;
}

export interface PollOptions {
  now?: () => Date;
  concurrency?: number;
  minIntervalMs?: number;
  maxIntervalMs?: number;
  /** Poll every source, due or not. */
  all?: boolean;
  random?: () => number;
  onDone?: (result: PollResult) => void;
}

export interface PollResult {
  source: FeedSource;
  outcome: "stored" | "not modified" | "failed";
  report?: StoreReport;
  error?: string;
  nextPollAt: Date;
}

const DEFAULT_INTERVAL_MS = 60 * 60_000;

export async function pollFeeds(db: Database, fetcher: Fetcher, options: PollOptions = {}): Promise<PollResult[]> {
  const now = options.now ?? (() => new Date());
  const due = options.all ? await listFeedSources(db) : await dueFeedSources(db, now());
  const results: PollResult[] = [];
  const queue = [...due];
  const worker = async () => {
    for (let source = queue.shift(); source; source = queue.shift()) {
      const result = await pollOne(db, fetcher, source, now(), options);
      results.push(result);
      options.onDone?.(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, queue.length) }, worker));
  return results;
}

async function pollOne(db: Database, fetcher: Fetcher, source: FeedSource, fetchedAt: Date, options: PollOptions): Promise<PollResult> {
  const min = options.minIntervalMs ?? 15 * 60_000;
  const max = options.maxIntervalMs ?? 24 * 60 * 60_000;
  const clamp = (ms: number) => Math.min(max, Math.max(min, ms));
  try {
    const out = await fetcher.fetch(source.url!, { etag: source.etag, lastModified: source.lastModified });
    const url = out.movedTo ?? source.url!;
    if (out.status === "not-modified") {
      // a 304 that sends Cache-Control updates the stored max-age (RFC 9111, 4.3.4); the ttl stays the feed's
      const maxAgeSeconds = maxAge(out.cacheControl) ?? source.maxAgeSeconds;
      const nextPollAt = new Date(fetchedAt.getTime() + clamp(interval(source.ttlMinutes, maxAgeSeconds)));
      await recordFetch(db, source.id, { url, maxAgeSeconds, lastFetchAt: fetchedAt, lastStatus: "not modified", errorCount: 0, lastError: null, nextPollAt });
      return { source, outcome: "not modified", nextPollAt };
    }
    const feed = await readFeedDocument(out.bytes, out.contentType);
    const learned = { ttlMinutes: feed.ttlMinutes ? Math.min(Math.max(1, Math.round(feed.ttlMinutes)), 2_147_483_647) : null, maxAgeSeconds: maxAge(out.cacheControl) };
    const nextPollAt = new Date(fetchedAt.getTime() + clamp(interval(learned.ttlMinutes, learned.maxAgeSeconds)));
    // Web Crypto: native on Node and in Workers, where a feed's whole body costs pure JavaScript a millisecond
    const bodySha256 = bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", out.bytes)));
    // a broken document whose entries could be read is stored, and the operator told why it is broken
    const parseWarning = feed.bozo ? printableReason(feed.bozo) : null;
    const fetched = { url, etag: out.etag, lastModified: out.lastModified, ...learned, lastFetchAt: fetchedAt, errorCount: 0, lastError: null, parseWarning, nextPollAt };
    // Many feeds send no ETag or Last-Modified: the same bytes again are a 304 they did not say,
    // and storing them would add a document and an observation per entry at every poll.
    if (bodySha256 === source.bodySha256) {
      await recordFetch(db, source.id, { ...fetched, lastStatus: "not modified" });
      return { source, outcome: "not modified", nextPollAt };
    }
    // the source's own tags are added to its items when they are stored, and follow every change of them
    const { items: found, entryKeys, retiredIds } = feedEntries(feed, source.name, out.url, fetchedAt);
    const report = await storeDocument(db, {
      source: { kind: "feed", name: source.name, url },
      name: out.url,
      sha256: bodySha256,
      fetchedAt,
      items: found,
      identity: { entryKeys, retiredIds },
    }, (tx) => recordFetch(tx, source.id, { ...fetched, bodySha256, lastStatus: "ok" }));
    return { source, outcome: "stored", report, nextPollAt };
  } catch (error) {
    const message = printableReason(reasonFor((error as Error).message.split("\n")[0]!, source.url!), 1000);
    const errors = source.errorCount + 1;
    const retryAfter = (error as { retryAfterMs?: number | null }).retryAfterMs;
    // 2^n minutes from the minimum interval, ±20 %, at most the maximum
    const backoff = Math.min(max, min * 2 ** Math.min(errors - 1, 16)) * (0.8 + 0.4 * (options.random ?? Math.random)());
    const nextPollAt = new Date(fetchedAt.getTime() + (retryAfter ? Math.min(max, Math.max(retryAfter, min)) : backoff));
    await recordFetch(db, source.id, { lastFetchAt: fetchedAt, lastStatus: "failed", errorCount: errors, lastError: message, nextPollAt });
    return { source, outcome: "failed", error: message, nextPollAt };
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
