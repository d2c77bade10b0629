/**
 * What every suite that polls feeds from a local server needs, per backend
 * (forEachPollingDatabase): a database of its own and a fetcher allowed to
 * reach this machine, both closed after the suite, and every table emptied
 * before each test.
 */
import { afterAll, beforeAll } from "vitest";
import { AddressPolicy } from "../../src/input/fetch/address-policy";
import { DEFAULT_LIMITS, FeedFetcher } from "../../src/input/fetch/http-fetch";
import { pollFeeds, type Fetcher, type PollOptions, type PollResult } from "../../src/pipeline/poll-feeds";
import type { Database } from "../../src/storage/database";
import type { OpenDatabase } from "../../src/storage/open";
import { forEachDatabase, type Backend, type SuiteOptions, type SuiteTitle } from "./databases";

/** A fetcher for feeds served on 127.0.0.1, which the address policy refuses unless allowed. */
export const localFetcher = () => new FeedFetcher(new AddressPolicy(["127.0.0.1"]), { ...DEFAULT_LIMITS, totalTimeoutMs: 5_000 });

/**
 * forEachDatabase for suites that poll: every table emptied before each test, and `fetcher` a
 * localFetcher of the block's own, made before its tests and closed after them (before the database).
 */
export function forEachPollingDatabase(
  title: SuiteTitle,
  body: (db: OpenDatabase, fetcher: Fetcher, backend: Backend) => void,
  options: SuiteOptions = {},
): void {
  forEachDatabase(
    title,
    (db, backend) => {
      let current: FeedFetcher | undefined;
      beforeAll(() => {
        current = localFetcher();
      });
      afterAll(async () => {
        await current?.close();
        current = undefined;
      });
      const fetcher: Fetcher = {
        perOrigin: DEFAULT_LIMITS.perHost,
        fetch: (url, validators, cancel) => {
          if (!current) throw new Error("the suite's fetcher is open only in its hooks and tests");
          return current.fetch(url, validators, cancel);
        },
      };
      body(db, fetcher, backend);
    },
    { ...options, emptyBeforeEach: true },
  );
}

/** A pass whose every result is kept, for tests that look at each feed's: the pass itself keeps only counters. */
export async function collectPoll(db: Database, fetcher: Fetcher, options: PollOptions = {}): Promise<PollResult[]> {
  const results: PollResult[] = [];
  await pollFeeds(db, fetcher, { ...options, onDone: (result) => results.push(result) });
  return results;
}
