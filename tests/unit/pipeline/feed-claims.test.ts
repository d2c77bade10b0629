/**
 * How a pass hands out the feeds it claims (pipeline/feed-claims), over a table in memory that claims as
 * storage/sources claimFeedSources does: in order, `limit` at a time, leaving out the busy origins. A
 * worker is given no feed of an origin whose turns are all taken while another's is to be had; it waits
 * only when every feed left is on such an origin; and the pass holds at most twice its workers' worth.
 */
import { describe, expect, it } from "vitest";
import { feedClaims, type ClaimOptions } from "../../../src/pipeline/feed-claims";
import type { Fetcher } from "../../../src/pipeline/fetcher";
import type { Claim, FeedSource } from "../../../src/storage/sources";

/** Feeds in the order they are due: `count` of each origin, named origin + number. */
function table(...origins: [origin: string, count: number][]) {
  const rows = origins.flatMap(([origin, count]) => Array.from({ length: count }, (_, n) => ({ name: `${origin}${n}`, origin, taken: false })));
  const calls: { limit: number; busy: string[]; held: number }[] = [];
  let held = 0;
  const take = async (claim: Claim): Promise<FeedSource[]> => {
    const busy = new Set(claim.busyOrigins ?? []);
    const got = rows.filter((r) => !r.taken && !busy.has(r.origin)).slice(0, claim.limit);
    for (const r of got) r.taken = true;
    calls.push({ limit: claim.limit, busy: [...busy], held });
    held += got.length;
    return got.map((r) => ({ id: rows.indexOf(r), name: r.name, origin: r.origin, leaseToken: claim.lease.token }) as FeedSource);
  };
  return { rows, calls, take, release: () => held-- };
}

const options = (more: Partial<ClaimOptions> = {}): ClaimOptions => ({
  owner: "t",
  limit: 4,
  leaseSeconds: 300,
  since: undefined,
  now: () => new Date(),
  signal: undefined,
  ...more,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("feed claims", () => {
  it("without turns per origin hands feeds out in the order claimed, a batch when the last has run out", async () => {
    const t = table(["slow", 6], ["fast", 2]);
    const claims = feedClaims(t.take, options());
    const names: string[] = [];
    for (let s = await claims.next(); s; s = await claims.next()) {
      names.push(s.name);
      claims.fetched(s);
      claims.done(s);
    }
    expect(names).toEqual(["slow0", "slow1", "slow2", "slow3", "slow4", "slow5", "fast0", "fast1"]);
    expect(t.calls.map((c) => [c.limit, c.busy])).toEqual([
      [4, []],
      [4, []],
      [4, []],
    ]);
  });

  it("gives a worker a feed of a free origin, claiming more without the busy ones, and waits only when none is left", async () => {
    const t = table(["slow", 6], ["fast", 6]);
    const claims = feedClaims(t.take, options({ perOrigin: 2 }));
    const first = await Promise.all([claims.next(), claims.next(), claims.next(), claims.next()]);
    expect(first.map((s) => s?.name)).toEqual(["slow0", "slow1", "fast0", "fast1"]);
    // the second batch left the slow origin out, and was as large as the leases held allowed
    expect(t.calls.map((c) => [c.limit, c.busy])).toEqual([
      [4, []],
      [4, ["slow"]],
    ]);
    // eight held, every queued feed on a busy origin: the fifth worker waits for a turn
    let fifth: FeedSource | undefined;
    void claims.next().then((s) => (fifth = s));
    await tick();
    expect(fifth).toBeUndefined();
    claims.fetched(first[2]!);
    await tick();
    expect(fifth?.name).toBe("fast2");
    // a turn given back twice is given back once
    claims.fetched(first[2]!);
    expect(t.calls).toHaveLength(2);
  });

  it("polls every feed once, never more of one origin at once than its turns, the fast origin's first", async () => {
    const t = table(["slow", 12], ["fast", 40], ["other", 8]);
    const limit = 8;
    const claims = feedClaims(t.take, options({ perOrigin: 2, limit }));
    const order: string[] = [];
    const atOnce = new Map<string, number>();
    let most = 0;
    const worker = async () => {
      for (let s = await claims.next(); s; s = await claims.next()) {
        const n = (atOnce.get(s.origin!) ?? 0) + 1;
        atOnce.set(s.origin!, n);
        most = Math.max(most, n);
        // a slow fetch takes twenty turns of the event loop, a fast one a single one
        for (let i = s.origin === "slow" ? 20 : 1; i > 0; i--) await tick();
        atOnce.set(s.origin!, n - 1);
        claims.fetched(s);
        claims.done(s);
        t.release();
        order.push(s.name);
      }
    };
    await Promise.all(Array.from({ length: limit }, worker));
    expect(order.toSorted()).toEqual(t.rows.map((r) => r.name).toSorted());
    expect(most).toBe(2);
    const lastFast = order.findLastIndex((name) => !name.startsWith("slow"));
    expect(order.slice(0, lastFast).filter((name) => name.startsWith("slow")).length).toBeLessThan(6);
    // never more than twice the workers' worth held
    for (const c of t.calls) expect(c.held + c.limit).toBeLessThanOrEqual(2 * limit);
    expect(t.calls.at(-1)).toMatchObject({ busy: [] });
  });

  it("gives a feed's turn back when its fetch ends, not when it is stored; or when its poll ends without a fetch", async () => {
    const t = table(["one", 4]);
    const claims = feedClaims(t.take, options({ perOrigin: 1 }));
    const fetcher: Fetcher = { perOrigin: 1, fetch: async (url) => ({ status: "not-modified", url, movedTo: null, cacheControl: null }) };
    let storing: () => void = () => {};
    const first = await claims.next();
    const polled = claims.polling(first!, fetcher, async (_source, turn) => {
      await turn.fetch("https://one.example/1", {});
      await new Promise<void>((resolve) => (storing = resolve));
    });
    // the first is being stored: the second is handed out meanwhile
    const second = await claims.next();
    expect(second?.name).toBe("one1");
    claims.fetched(second!);
    storing();
    await polled;
    // a poll that fails before its fetch gives its turn back too
    const third = await claims.next();
    let fourth: FeedSource | undefined;
    void claims.next().then((s) => (fourth = s));
    await expect(claims.polling(third!, fetcher, async () => Promise.reject(new Error("no fetch")))).rejects.toThrow("no fetch");
    await tick();
    expect(fourth?.name).toBe("one3");
  });

  it("hands out nothing more once stopped, and finishes what it holds once exhausted", async () => {
    const stop = new AbortController();
    const t = table(["slow", 6]);
    const claims = feedClaims(t.take, options({ perOrigin: 2, signal: stop.signal }));
    const [a, b] = [await claims.next(), await claims.next()];
    claims.exhaust();
    const waiting = claims.next();
    claims.fetched(a!);
    expect((await waiting)?.name).toBe("slow2");
    expect(claims.held()).toHaveLength(1);
    stop.abort();
    claims.fetched(b!);
    expect(await claims.next()).toBeUndefined();
    expect(t.calls).toHaveLength(1);
  });
  it("renews the leases of the feeds queued, not of those handed out, and drops a queued feed whose lease another poller took", async () => {
    const t = table(["slow", 4]);
    const asked: string[][] = [];
    // the renewal finds slow2's lease taken by another poller
    const renew = async (held: { id: number; token: string }[]) => {
      asked.push(held.map((h) => t.rows[h.id]!.name));
      return held.map((h) => h.id).filter((id) => t.rows[id]!.name !== "slow2");
    };
    const claims = feedClaims(t.take, options({ perOrigin: 1, leaseSeconds: 0.03 }), renew);
    try {
      const first = await claims.next();
      for (let waited = 0; asked.length === 0 && waited < 5_000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(asked[0]).toEqual(["slow1", "slow2", "slow3"]);
      const names = [first!.name];
      claims.fetched(first!);
      claims.done(first!);
      for (let s = await claims.next(); s; s = await claims.next()) {
        names.push(s.name);
        claims.fetched(s);
        claims.done(s);
      }
      expect(names).toEqual(["slow0", "slow1", "slow3"]);
      expect(claims.held()).toEqual([]);
    } finally {
      await claims.close();
    }
  });

  it("tries a renewal that failed again at the next tick, and renews nothing once closed", async () => {
    const t = table(["slow", 3]);
    let calls = 0;
    const renew = async (held: { id: number; token: string }[]) => {
      calls++;
      if (calls === 1) throw new Error("the database is gone");
      return held.map((h) => h.id);
    };
    const claims = feedClaims(t.take, options({ perOrigin: 1, leaseSeconds: 0.05 }), renew);
    try {
      const first = await claims.next();
      for (let waited = 0; calls < 2 && waited < 5_000; waited += 5) await sleep(5);
      expect(calls).toBeGreaterThanOrEqual(2);
      // the failure dropped nothing: the two queued are handed out in turn
      const names: string[] = [];
      for (let s = first; s; s = await claims.next()) {
        names.push(s.name);
        claims.fetched(s);
        claims.done(s);
      }
      expect(names).toEqual(["slow0", "slow1", "slow2"]);
    } finally {
      await claims.close();
    }
    const closedAt = calls;
    await sleep(50);
    expect(calls).toBe(closedAt);
  });

  it("closes only once the renewal under way has ended", async () => {
    const t = table(["slow", 3]);
    let answer: (ids: number[]) => void = () => {};
    let asked: number[] = [];
    const renew = (held: { id: number; token: string }[]) =>
      new Promise<number[]>((resolve) => {
        asked = held.map((h) => h.id);
        answer = resolve;
      });
    const claims = feedClaims(t.take, options({ perOrigin: 1, leaseSeconds: 0.05 }), renew);
    await claims.next();
    for (let waited = 0; !asked.length && waited < 5_000; waited += 5) await sleep(5);
    let closed = false;
    const closing = claims.close().then(() => {
      closed = true;
    });
    await sleep(20);
    expect(closed).toBe(false);
    answer(asked);
    await closing;
    expect(closed).toBe(true);
  });

  it("does not forget a feed claimed again by the pass when the poll of its earlier claim ends", async () => {
    const t = table(["a", 1]);
    const claims = feedClaims(t.take, options());
    const first = await claims.next();
    // its lease ran out while it was polled, and the pass claimed it again
    t.rows[0]!.taken = false;
    const again = (await claims.next())!;
    expect(again.id).toBe(first!.id);
    claims.done(first!);
    expect(claims.held()).toHaveLength(1);
    claims.done(again);
    expect(claims.held()).toEqual([]);
  });
});
