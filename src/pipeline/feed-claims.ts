/**
 * The feeds a polling pass holds: claimed a batch at a time as its workers ask for them, and given back when it stops.
 *
 * A fetcher fetches only a few feeds of one origin at once (Fetcher.perOrigin); the others wait for a turn. A worker
 * is therefore given no feed of an origin whose turns the pass's fetches hold all: it takes a queued feed of another
 * origin, or claims more, leaving those origins out, and waits here only when every feed left is on a busy origin.
 * One slow host then holds as many workers as it has turns, not all of them.
 *
 * The leases of the feeds claimed and not handed out yet (waiting for a worker, or for a turn at their host) are
 * renewed while they wait, every tenth of a lease, so that a lease covers a feed's fetch and storing, not its wait
 * behind the others held: the pass may claim as many at a time as it has workers however few hosts its feeds are on.
 */
import type { Database } from "../storage/database";
import { claimFeedSources, renewLeases, type Claim, type FeedSource } from "../storage/sources";
import type { Fetcher } from "./fetcher";

export interface FeedClaims {
  /** The next claimed feed, claiming a batch when none is left; undefined when the pass is stopped or nothing is due. */
  next(): Promise<FeedSource | undefined>;
  /**
   * Polls a feed handed out: `poll` fetches with a fetcher that gives the feed's turn at its origin back as
   * soon as the fetch ends (reading and storing it hold no host), or else when the poll ends.
   */
  polling<T>(source: FeedSource, fetcher: Fetcher, poll: (source: FeedSource, fetcher: Fetcher) => Promise<T>): Promise<T>;
  /** The feed's fetch is over, however it went, or its poll ended without one: its origin's turn is free. Safe to call twice. */
  fetched(source: FeedSource): void;
  /** The feed's result is recorded: its lease is no longer this pass's to give back. */
  done(source: FeedSource): void;
  /** The pass is failing: what is claimed already is finished, nothing more is claimed. */
  exhaust(): void;
  /** The claims of the feeds claimed and not done yet: what a stopped pass gives back. */
  held(): string[];
  /** The pass is over: its waiting feeds' leases are renewed no more, once the renewal under way (if any) has ended. */
  close(): Promise<void>;
}

export interface ClaimOptions {
  owner: string;
  limit: number;
  leaseSeconds: number;
  since: string | undefined;
  now: () => Date;
  signal: AbortSignal | undefined;
  /** Fetches of one origin at once (Fetcher.perOrigin); without it, feeds are handed out in the order claimed. */
  perOrigin?: number | undefined;
}

/** Renews the leases of claimed feeds, as storage/sources renewLeases does: the ids renewed. */
export type RenewLeases = (held: { id: number; token: string }[], leaseSeconds: number) => Promise<number[]>;

/** Claims feeds due at `now()` (or, with `since`, every one no poller has claimed since then) for `owner`, `limit` at a time. */
export function claimFeeds(db: Database, claim: ClaimOptions): FeedClaims {
  return feedClaims(
    (what) => claimFeedSources(db, what),
    claim,
    (held, seconds) => renewLeases(db, held, seconds),
  );
}

/**
 * claimFeeds over any way of claiming: `take` claims as storage/sources claimFeedSources does, and `renew`, when
 * given, keeps the leases of the feeds queued alive while they wait.
 */
export function feedClaims(take: (claim: Claim) => Promise<FeedSource[]>, claim: ClaimOptions, renew?: RenewLeases): FeedClaims {
  const { owner, limit, leaseSeconds, since, now, signal, perOrigin } = claim;
  // At most one claim in flight, and at most twice as many feeds held, queued or being polled, as the pass
  // has workers: a batch queued while the last one is worked on, never the whole backlog.
  const queue: FeedSource[] = [];
  let claiming: Promise<void> | null = null;
  let exhausted = false;
  // the claim of each feed claimed and not done yet, so that a stopped pass can give back what it holds;
  // a feed leaves it once done, so it holds no more than the leases held
  const claimOf = new Map<number, string>();
  const turns = originTurns(perOrigin);
  // how many turns had been given back when a claim leaving out the busy origins found nothing: until
  // another is, the feeds left are all on those origins, and claiming again would find nothing again
  let dryAt = -1;

  const claimMore = async (count: number) => {
    const token = crypto.randomUUID();
    const busyOrigins = turns.busy();
    const seen = turns.givenBack();
    const claimed = await take({ lease: { owner, token }, limit: count, leaseSeconds, dueAt: now(), since, busyOrigins });
    for (const source of claimed) claimOf.set(source.id, token);
    queue.push(...claimed);
    if (claimed.length) return;
    if (busyOrigins.length) dryAt = seen;
    else exhausted = true;
  };
  const renewal = renew ? renewWhileQueued(queue, claimOf, renew, leaseSeconds, turns.wake) : undefined;

  const next = async (): Promise<FeedSource | undefined> => {
    for (;;) {
      if (signal?.aborted) return undefined;
      const at = queue.findIndex(turns.free);
      if (at >= 0) return turns.take(queue.splice(at, 1)[0]!);
      if (claiming) {
        await claiming;
        continue;
      }
      const room = Math.min(limit, 2 * limit - claimOf.size);
      if (!exhausted && room > 0 && dryAt !== turns.givenBack()) {
        claiming = claimMore(room).finally(() => {
          claiming = null;
        });
        continue;
      }
      if (exhausted && !queue.length) return undefined;
      // every feed left, queued or unclaimed, is on an origin whose turns are all taken (or the pass holds
      // as many feeds as it may): a turn given back, or a feed done, ends the wait
      await turns.changed();
    }
  };
  return {
    next,
    polling: async (source, fetcher, poll) => {
      const fetch: Fetcher["fetch"] = (url, validators, cancel) => fetcher.fetch(url, validators, cancel).finally(() => turns.giveBack(source));
      try {
        return await poll(source, { perOrigin: fetcher.perOrigin, fetch });
      } finally {
        turns.giveBack(source);
      }
    },
    fetched: turns.giveBack,
    done: (source) => {
      // unless the pass has claimed the feed again since (its lease having run out while it was polled)
      if (claimOf.get(source.id) === source.leaseToken) claimOf.delete(source.id);
      // room for another claim, for a worker waiting on busy origins
      turns.wake();
    },
    exhaust: () => {
      exhausted = true;
    },
    held: () => [...new Set(claimOf.values())],
    close: async () => renewal?.close(),
  };
}

/**
 * Renews the leases of the feeds in `queue` (claimed, not handed out yet) every tenth of a lease, and drops from it
 * those another poller has taken meanwhile. A queued feed has had at most a tenth of a lease since its claim or last
 * renewal when it is handed out, while renewals succeed: its fetch (with its waits in the fetcher, poll-feeds'
 * DEFAULT_LEASE_SECONDS) and its storing have nine tenths of one. A feed handed out is not renewed, so that a poller
 * stalled on it loses it. A renewal that fails (the database gone, or a lock it waited for too long) is tried again
 * at the next tick; while it fails, the leases run out as a dead poller's.
 */
function renewWhileQueued(queue: FeedSource[], claimOf: Map<number, string>, renew: RenewLeases, leaseSeconds: number, dropped: () => void) {
  let renewing: Promise<void> | null = null;
  const renewQueued = async () => {
    const asked = queue.flatMap((source) => {
      const token = claimOf.get(source.id);
      return token ? [{ id: source.id, token }] : [];
    });
    try {
      const kept = new Set(await renew(asked, leaseSeconds));
      // a feed still queued and not renewed is another poller's now (its lease ran out before the renewal came)
      const lost = new Set(asked.filter((held) => !kept.has(held.id)).map((held) => held.id));
      for (let at = queue.length - 1; at >= 0; at--) {
        if (!lost.has(queue[at]!.id)) continue;
        claimOf.delete(queue[at]!.id);
        queue.splice(at, 1);
      }
      if (lost.size) dropped();
    } catch {
      // said by the pass's own statements when the database is gone; tried again at the next tick
    }
  };
  const timer = setInterval(
    () => {
      if (renewing || !queue.length) return;
      renewing = renewQueued().finally(() => {
        renewing = null;
      });
    },
    (leaseSeconds * 1000) / 10,
  );
  // the timer alone keeps no process alive
  (timer as { unref?: () => void }).unref?.();
  return {
    /** No more renewals, once the one under way (if any) has ended. */
    close: async () => {
      clearInterval(timer);
      await renewing;
    },
  };
}

/** The turns the pass's fetches hold at each origin, of `perOrigin` each; without it, every origin always has one free. */
function originTurns(turnsPerOrigin: number | undefined) {
  const perOrigin = turnsPerOrigin !== undefined && turnsPerOrigin >= 1 ? turnsPerOrigin : undefined;
  // the origin of each feed handed out whose fetch is not over; and how many of each origin's there are
  const fetching = new Map<number, string | null>();
  const atOrigin = new Map<string, number>();
  let givenBack = 0;
  let waiting: (() => void)[] = [];
  const wake = () => {
    const woken = waiting;
    waiting = [];
    for (const resolve of woken) resolve();
  };
  return {
    free: (source: FeedSource) => perOrigin === undefined || source.origin === null || (atOrigin.get(source.origin) ?? 0) < perOrigin,
    busy: () => (perOrigin === undefined ? [] : [...atOrigin].filter(([, n]) => n >= perOrigin).map(([origin]) => origin)),
    givenBack: () => givenBack,
    take: (source: FeedSource) => {
      // a feed handed out again before its turn was given back holds one turn, not two
      if (fetching.has(source.id)) return source;
      fetching.set(source.id, source.origin);
      if (source.origin !== null) atOrigin.set(source.origin, (atOrigin.get(source.origin) ?? 0) + 1);
      return source;
    },
    giveBack: (source: FeedSource) => {
      if (!fetching.has(source.id)) return;
      const origin = fetching.get(source.id)!;
      fetching.delete(source.id);
      if (origin !== null) {
        const left = atOrigin.get(origin)! - 1;
        if (left) atOrigin.set(origin, left);
        else atOrigin.delete(origin);
      }
      givenBack++;
      wake();
    },
    wake,
    /** Resolves at the next wake: a turn given back, or a feed done. */
    changed: () => new Promise<void>((resolve) => waiting.push(resolve)),
  };
}
