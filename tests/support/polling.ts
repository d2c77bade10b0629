/**
 * What every suite that polls feeds from a local server needs, per backend:
 * a database of its own and a fetcher allowed to reach this machine, both
 * closed after the suite, and every table emptied before each test.
 */
import { afterAll, beforeAll, beforeEach } from "vitest";
import { AddressPolicy } from "../../src/input/fetch/address-policy";
import { DEFAULT_LIMITS, FeedFetcher } from "../../src/input/fetch/http-fetch";
import { pollFeeds, type Fetcher, type PollOptions, type PollResult } from "../../src/pipeline/poll-feeds";
import type { Database } from "../../src/storage/database";
import type { OpenDatabase } from "../../src/storage/open";
import { truncateAll, type Backend } from "./databases";

/** A fetcher for feeds served on 127.0.0.1, which the address policy refuses unless allowed. */
export const localFetcher = () => new FeedFetcher(new AddressPolicy(["127.0.0.1"]), { ...DEFAULT_LIMITS, totalTimeoutMs: 5_000 });

/** Registers the hooks in the calling describe block; `ready` receives the database and fetcher once they are open. */
export function pollingSuite(backend: Backend, ready: (db: OpenDatabase, fetcher: FeedFetcher) => void): void {
  let db: OpenDatabase | undefined;
  let fetcher: FeedFetcher | undefined;
  beforeAll(async () => {
    db = await backend.open();
    fetcher = localFetcher();
    ready(db, fetcher);
  });
  afterAll(async () => {
    await fetcher?.close();
    await db?.close();
  });
  beforeEach(() => truncateAll(db!));
}

/** A pass whose every result is kept, for tests that look at each feed's: the pass itself keeps only counters. */
export async function collectPoll(db: Database, fetcher: Fetcher, options: PollOptions = {}): Promise<PollResult[]> {
  const results: PollResult[] = [];
  await pollFeeds(db, fetcher, { ...options, onDone: (result) => results.push(result) });
  return results;
}
