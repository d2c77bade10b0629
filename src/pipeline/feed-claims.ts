/** The feeds a polling pass holds: claimed a batch at a time as its workers ask for them, and given back when it stops. */
import type { Database } from "../storage/database";
import { claimFeedSources, type FeedSource } from "../storage/sources";

export interface FeedClaims {
  /** The next claimed feed, claiming a batch when none is left; undefined when the pass is stopped or nothing is due. */
  next(): Promise<FeedSource | undefined>;
  /** The feed's result is recorded: its lease is no longer this pass's to give back. */
  done(source: FeedSource): void;
  /** The pass is failing: what is claimed already is finished, nothing more is claimed. */
  exhaust(): void;
  /** The claims of the feeds claimed and not done yet: what a stopped pass gives back. */
  held(): string[];
}

/** Claims feeds due at `now()` (or, with `since`, every one no poller has claimed since then) for `owner`, `limit` at a time. */
export function claimFeeds(
  db: Database,
  claim: { owner: string; limit: number; leaseSeconds: number; since: string | undefined; now: () => Date; signal: AbortSignal | undefined },
): FeedClaims {
  const { owner, limit, leaseSeconds, since, now, signal } = claim;
  // At most one claim in flight, of a batch the size of the worker pool, taken when the last one ran
  // out: this poller holds about twice as many leases as it has workers, never the whole backlog.
  const queue: FeedSource[] = [];
  let claiming: Promise<void> | null = null;
  let exhausted = false;
  // the claim of each feed claimed and not done yet, so that a stopped pass can give back what it holds;
  // a feed leaves it once done, so it holds no more than the leases held
  const claimOf = new Map<number, string>();
  const next = async (): Promise<FeedSource | undefined> => {
    for (;;) {
      if (signal?.aborted) return undefined;
      const source = queue.shift();
      if (source || exhausted) return source;
      if (!claiming) {
        const token = crypto.randomUUID();
        claiming = claimFeedSources(db, { lease: { owner, token }, limit, leaseSeconds, dueAt: now(), since })
          .then((claimed) => {
            for (const source of claimed) claimOf.set(source.id, token);
            queue.push(...claimed);
            exhausted = claimed.length === 0;
          })
          .finally(() => {
            claiming = null;
          });
      }
      await claiming;
    }
  };
  return {
    next,
    done: (source) => {
      claimOf.delete(source.id);
    },
    exhaust: () => {
      exhausted = true;
    },
    held: () => [...new Set(claimOf.values())],
  };
}
