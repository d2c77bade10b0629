/**
 * Pollers that share the work. Passes claim due feeds with leases: two
 * passes at once (one process, both backends) and three `fetch` processes
 * at once (PostgreSQL) fetch every feed once; a poller killed with SIGKILL
 * holds its feeds until its lease runs out, then another poller takes
 * them; a fetch that outlived its lease stores nothing over the result of
 * the poller that took the feed over; a pass stopped (Ctrl-C of `fetch`)
 * gives back at once what it has claimed and not done; the feeds a pass holds
 * while they wait for a turn at their host keep their leases however long the
 * wait, and those being fetched do not.
 */
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AddressPolicy } from "../src/input/fetch/address-policy";
import { DEFAULT_LIMITS, FeedFetcher } from "../src/input/fetch/http-fetch";
import { DEFAULT_CONCURRENCY, pollFeeds, type PollResult } from "../src/pipeline/poll-feeds";
import type { Database } from "../src/storage/database";
import type { OpenDatabase } from "../src/storage/open";
import { documents, items, observations, sources } from "../src/storage/schema";
import { findFeedSource } from "../src/storage/sources";
import { cli, ROOT, startCli } from "./support/cli";
import { backends, type Scratch } from "./support/databases";
import { localFetcher, forEachPollingDatabase } from "./support/polling";

const ENTRIES = 3;

/** Feed `n` in version `v`: ENTRIES entries of its own, each with a guid and a link no other feed has. */
function feedXml(n: number, v = "a"): string {
  const entries = Array.from(
    { length: ENTRIES },
    (_, i) =>
      `<item><title>Meldung ${i} aus Feed ${n}, Fassung ${v}</title><link>https://f${n}.example.org/artikel/${i}</link>` +
      `<guid isPermaLink="false">f${n}-${i}</guid><pubDate>Tue, 09 Dec 2025 12:0${i}:00 GMT</pubDate><description>Text ${v}</description></item>`,
  ).join("");
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>Feed ${n}</title><link>https://f${n}.example.org/</link><description>d</description>${entries}</channel></rss>`;
}

/**
 * Serves /f/N.xml and counts requests per feed. `hold`, when set, decides
 * for each request whether it waits until `releaseHeld()` (or, for a
 * poller that was killed, until its socket is gone).
 */
let server: Server;
let base: string;
let hits = new Map<number, number>();
let held: { n: number; res: ServerResponse }[] = [];
let hold: ((n: number, req: IncomingMessage) => boolean) | null = null;
let body: (n: number, hit: number) => { xml: string; etag: string } = (n) => ({ xml: feedXml(n), etag: `"${n}"` });

function answer(n: number, res: ServerResponse): void {
  if (res.destroyed) return;
  const { xml, etag } = body(n, hits.get(n)!);
  res.writeHead(200, { "content-type": "application/rss+xml; charset=utf-8", etag }).end(xml);
}

function releaseHeld(): void {
  for (const { n, res } of held.splice(0)) answer(n, res);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const n = Number(/^\/f\/(\d+)\.xml$/.exec(req.url ?? "")?.[1] ?? -1);
    if (n < 0) return res.writeHead(404).end();
    hits.set(n, (hits.get(n) ?? 0) + 1);
    if (hold?.(n, req)) held.push({ n, res });
    else answer(n, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  releaseHeld();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  hits = new Map();
  held = [];
  hold = null;
  body = (n) => ({ xml: feedXml(n), etag: `"${n}"` });
});

async function follow(db: Database, count: number): Promise<void> {
  for (let i = 0; i < count; i += 500) {
    await db
      .insert(sources)
      .values(Array.from({ length: Math.min(500, count - i) }, (_, k) => ({ kind: "feed" as const, name: `f${i + k}`, url: `${base}/f/${i + k}.xml` })));
  }
}

/** What the database holds after polling `count` feeds: per feed its documents, and the totals. */
async function stored(db: Database, count: number) {
  const perSource = await db.execute<{ name: string; documents: number }>(
    sql`select s.name, count(d.id)::int as documents from ${sources} s left join ${documents} d on d.source_id = s.id group by s.name`,
  );
  const rows =
    (perSource as unknown as { rows?: { name: string; documents: number }[] }).rows ?? (perSource as unknown as { name: string; documents: number }[]);
  return {
    documentsPerFeed: new Set(rows.map((r) => r.documents)),
    feeds: rows.length,
    items: await db.$count(items),
    distinctGuids: Number((await db.select({ n: sql<number>`count(distinct ${items.guid})::int` }).from(items))[0]!.n),
    observations: await db.$count(observations),
    leased: await db.$count(sources, sql`${sources.leaseToken} is not null`),
    expected: { feeds: count, items: count * ENTRIES },
  };
}

const hitCounts = (count: number) => new Set(Array.from({ length: count }, (_, n) => hits.get(n) ?? 0));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

forEachPollingDatabase("pollers sharing feeds", (db, fetcher) => {
  it("gives each due feed to one of two passes running at once, and --all every feed once more", async () => {
    await follow(db.db, 60);
    const passes = await Promise.all(["one", "two"].map((owner) => pollFeeds(db.db, fetcher, { owner, concurrency: 4 })));
    expect(passes.map((p) => p.feeds).reduce((a, b) => a + b)).toBe(60);
    expect(passes.every((p) => p.stored > 0)).toBe(true);
    expect(hitCounts(60)).toEqual(new Set([1]));
    const after = await stored(db.db, 60);
    expect(after).toMatchObject({ documentsPerFeed: new Set([1]), feeds: 60, items: 180, distinctGuids: 180, observations: 180, leased: 0 });

    // nothing is due now; --all is every feed not claimed since the pass began, shared the same way
    expect((await pollFeeds(db.db, fetcher, { owner: "three" })).feeds).toBe(0);
    const all = await Promise.all(["four", "five"].map((owner) => pollFeeds(db.db, fetcher, { owner, all: true, concurrency: 4 })));
    expect(all.map((p) => p.feeds).reduce((a, b) => a + b)).toBe(60);
    expect(all.map((p) => p.notModified).reduce((a, b) => a + b)).toBe(60);
    expect(hitCounts(60)).toEqual(new Set([2]));
  });

  it("gives back, when stopped, the feeds it claimed and has not done, with no failure counted and nothing stored of them", async () => {
    await follow(db.db, 20);
    let answered = 0;
    hold = () => answered++ >= 3;
    const stop = new AbortController();
    try {
      const pass = pollFeeds(db.db, fetcher, { owner: "stopping", signal: stop.signal });
      for (let waited = 0; (held.length < 2 || (await db.db.$count(documents)) < 3) && waited < 30_000; waited += 20) await sleep(20);
      const claimed = await db.db.$count(sources, sql`${sources.leaseUntil} > now()`);
      stop.abort();
      const summary = await pass;
      expect([summary.feeds, summary.stored, summary.failed, summary.givenBack]).toEqual([3, 3, 0, claimed]);
      expect(await stored(db.db, 20)).toMatchObject({ items: 3 * ENTRIES, observations: 3 * ENTRIES, leased: 0 });
      expect(await db.db.$count(sources, sql`${sources.leaseToken} is not null or ${sources.errorCount} > 0`)).toBe(0);
    } finally {
      hold = null;
      releaseHeld();
    }
    // due as before: the next pass takes the rest at once
    const next = await pollFeeds(db.db, fetcher, { owner: "next" });
    expect([next.feeds, next.stored]).toEqual([17, 17]);
    expect(await stored(db.db, 20)).toMatchObject({ documentsPerFeed: new Set([1]), feeds: 20, items: 60, leased: 0 });
  });

  it("gives back what it holds when stopped even if the pass fails as it stops", async () => {
    await follow(db.db, 20);
    const stop = new AbortController();
    const pass = pollFeeds(db.db, fetcher, {
      owner: "failing",
      signal: stop.signal,
      concurrency: 4,
      onDone: () => {
        stop.abort();
        throw new Error("the shell's report failed");
      },
    });
    await expect(pass).rejects.toThrow("the shell's report failed");
    // the feeds claimed and not done (all but those whose results were reported) are no one's
    expect(await db.db.$count(sources, sql`${sources.leaseToken} is not null`)).toBe(0);
    // due as before: the next pass takes every feed the failed one did not store
    const storedBefore = await db.db.$count(documents);
    expect(storedBefore).toBeGreaterThan(0);
    const next = await pollFeeds(db.db, fetcher, { owner: "next" });
    expect(next.feeds).toBe(20 - storedBefore);
  });

  it("records nothing of a fetch that outlived its lease: the feed's new holder keeps its result", async () => {
    await follow(db.db, 1);
    // the first request waits until released; the feed then says "b" to whoever asks after it
    hold = (_n, _req) => hits.get(0) === 1;
    body = (n, hit) => (hit === 1 ? { xml: feedXml(n, "stale"), etag: '"stale"' } : { xml: feedXml(n, "b"), etag: '"b"' });
    const slow = new FeedFetcher(new AddressPolicy(["127.0.0.1"]), { ...DEFAULT_LIMITS, totalTimeoutMs: 60_000 });
    try {
      const staleResults: PollResult[] = [];
      const stale = pollFeeds(db.db, slow, { owner: "stale", leaseSeconds: 1, onDone: (r) => staleResults.push(r) });
      for (let waited = 0; held.length === 0 && waited < 30_000; waited += 20) await sleep(20);
      expect(held).toHaveLength(1);
      // before its lease ends, the feed is no one else's
      expect((await pollFeeds(db.db, fetcher, { owner: "early" })).feeds).toBe(0);
      for (let waited = 0; (await db.db.$count(sources, sql`${sources.leaseUntil} > now()`)) > 0 && waited < 30_000; waited += 100) await sleep(100);

      const taken = await pollFeeds(db.db, fetcher, { owner: "new holder" });
      expect([taken.feeds, taken.stored]).toEqual([1, 1]);
      releaseHeld();
      const late = await stale;
      expect([late.feeds, late.leaseLost, late.stored]).toEqual([1, 1, 0]);
      expect(staleResults.map((r) => r.outcome)).toEqual(["lease lost"]);

      // one document, the new holder's: the stale one was rolled back with the fetch's record
      expect(await db.db.$count(documents)).toBe(1);
      const titles = (await db.db.select({ title: items.title }).from(items)).map((r) => r.title).sort();
      expect(titles).toEqual([0, 1, 2].map((i) => `Meldung ${i} aus Feed 0, Fassung b`));
      expect(await findFeedSource(db.db, "f0")).toMatchObject({ etag: '"b"', lastStatus: "ok", leaseOwner: null, leaseToken: null, leaseUntil: null });
      expect(hits.get(0)).toBe(2);
    } finally {
      releaseHeld();
      await slow.close();
    }
  });
  it("keeps the leases of the feeds waiting for a turn at their host, not of those being fetched: a stalled fetch loses its feed", async () => {
    await follow(db.db, 6);
    // the first request of each feed waits until released: the pass's two turns at the host stall
    hold = (n) => hits.get(n) === 1;
    const slow = new FeedFetcher(new AddressPolicy(["127.0.0.1"]), { ...DEFAULT_LIMITS, totalTimeoutMs: 60_000 });
    try {
      // a lease of one second, renewed every tenth of one while the feed waits
      const stalled = pollFeeds(db.db, slow, { owner: "stalled", leaseSeconds: 1 });
      for (let waited = 0; held.length < 2 && waited < 30_000; waited += 20) await sleep(20);
      expect(held).toHaveLength(2);
      const fetching = new Set(held.map((h) => h.n));
      await sleep(2_500);
      // the four waiting are still the stalled pass's; the two it is fetching are free again
      const leased = await db.db.select({ name: sources.name, owner: sources.leaseOwner }).from(sources).where(sql`${sources.leaseUntil} > now()`);
      expect(leased.map((l) => l.owner)).toEqual(Array(4).fill("stalled"));
      expect(new Set(leased.map((l) => Number(l.name.slice(1))))).toEqual(new Set([0, 1, 2, 3, 4, 5].filter((n) => !fetching.has(n))));

      const other = await pollFeeds(db.db, fetcher, { owner: "other" });
      expect([other.feeds, other.stored]).toEqual([2, 2]);
      hold = null;
      releaseHeld();
      const late = await stalled;
      expect([late.feeds, late.leaseLost, late.stored]).toEqual([6, 2, 4]);
      expect(await stored(db.db, 6)).toMatchObject({ documentsPerFeed: new Set([1]), items: 18, leased: 0 });
      expect(hitCounts(6)).toEqual(new Set([1, 2]));
      for (const n of fetching) expect(hits.get(n)).toBe(2);
    } finally {
      releaseHeld();
      await slow.close();
    }
  });
});

const postgres = backends.find((b) => b.name === "postgres")!;

describe.skipIf(postgres.unavailable)("pollers in separate processes on one PostgreSQL", () => {
  let scratch: Scratch;
  let opened: OpenDatabase;
  beforeAll(async () => {
    scratch = await postgres.scratch();
    opened = await scratch.open();
    await opened.migrate();
  });
  afterAll(async () => {
    await opened?.close();
    await scratch?.dispose();
  });
  beforeEach(() => opened.db.execute(sql`truncate table item_tags, observations, documents, items, tags, sources, feed_state restart identity cascade`));

  it("three `fetch` processes started together fetch each of 300 due feeds once", async () => {
    await follow(opened.db, 300);
    // Each process has at most two requests open to one host: six held at once means all three
    // were claiming feeds at the same time. Then everything is answered.
    let together = false;
    hold = () => {
      if (together) return false;
      if (held.length + 1 < 6) return true;
      together = true;
      setImmediate(releaseHeld);
      return false;
    };
    const giveUp = setTimeout(() => ((hold = null), releaseHeld()), 40_000);
    const env = { ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1" };
    // three passes storing 300 documents on a loaded machine may take longer than one command's usual minute
    const runs = await Promise.all([1, 2, 3].map(() => cli(["fetch"], env, 180_000))).finally(() => clearTimeout(giveUp));
    expect(runs.map((r) => [r.status, r.stderr])).toEqual([
      [0, ""],
      [0, ""],
      [0, ""],
    ]);
    expect(together).toBe(true);
    const read = runs.map((r) => Number(/^(\d+) of (\d+) feeds read$/m.exec(r.stdout)?.[2] ?? 0));
    expect(read.every((n) => n > 0)).toBe(true);
    expect(read.reduce((a, b) => a + b)).toBe(300);
    expect(hitCounts(300)).toEqual(new Set([1]));
    expect(await stored(opened.db, 300)).toMatchObject({
      documentsPerFeed: new Set([1]),
      feeds: 300,
      items: 900,
      distinctGuids: 900,
      observations: 900,
      leased: 0,
    });
  }, 240_000);

  it("a poller killed mid-pass keeps its feeds until its lease ends; then another poller fetches them", async () => {
    // the victim's first claim (as many feeds as it has workers); the others are left for the rescuer
    const batch = DEFAULT_CONCURRENCY;
    const others = 32;
    const feeds = batch + others;
    await follow(opened.db, feeds);
    hold = () => true;
    const env = { ...process.env, ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1", FEEDWERK_LEASE_SECONDS: "10" };
    const victim = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/entry/cli/main.ts"), "fetch"], { cwd: ROOT, env, stdio: "ignore" });
    const exited = new Promise((resolve) => victim.on("exit", resolve));
    try {
      // its first batch claimed and two of its fetches waiting on the server: kill it there
      for (let waited = 0; held.length < 2 && waited < 60_000; waited += 20) await sleep(20);
      expect(held).toHaveLength(2);
      victim.kill("SIGKILL");
      await exited;
    } finally {
      if (victim.exitCode === null && victim.signalCode === null) victim.kill("SIGKILL");
    }
    hold = null;
    const victimsLeases = await opened.db.select({ name: sources.name, owner: sources.leaseOwner }).from(sources).where(sql`${sources.leaseUntil} > now()`);
    expect(victimsLeases).toHaveLength(batch); // one claim: every feed is on the one busy host, so it claims no more
    expect(new Set(victimsLeases.map((l) => l.owner))).toEqual(new Set([expect.stringMatching(new RegExp(`pid ${victim.pid}$`))]));
    const victimsFeeds = new Set(victimsLeases.map((l) => Number(l.name.slice(1))));

    // while the lease holds, another poller (here, in this process: no start-up time) takes every other feed and leaves these alone
    const fetcher = localFetcher();
    const first = await pollFeeds(opened.db, fetcher, { owner: "rescuer" }).finally(() => fetcher.close());
    expect([first.feeds, first.stored]).toEqual([others, others]);
    for (const n of victimsFeeds) expect(hits.get(n) ?? 0).toBeLessThanOrEqual(1);
    expect(await opened.db.$count(documents)).toBe(others);

    // when it ends, they are due and free: the next pass fetches them
    for (let waited = 0; (await opened.db.$count(sources, sql`${sources.leaseUntil} > now()`)) > 0 && waited < 30_000; waited += 250) await sleep(250);
    const second = await cli(["fetch"], { ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1" });
    expect([second.status, /^\d+ of \d+ feeds read$/m.exec(second.stdout)?.[0]]).toEqual([0, `${batch} of ${batch} feeds read`]);
    for (const name of victimsLeases.map((l) => l.name)) expect(second.stdout).toMatch(new RegExp(`^${name}\\s+stored\\s+3\\s`, "m"));
    expect(await stored(opened.db, feeds)).toMatchObject({
      documentsPerFeed: new Set([1]),
      feeds,
      items: feeds * 3,
      distinctGuids: feeds * 3,
      observations: feeds * 3,
      leased: 0,
    });
    // the feeds nobody held were fetched once; the victim's once more than the requests it left hanging
    for (let n = 0; n < feeds; n++) if (!victimsFeeds.has(n)) expect(hits.get(n)).toBe(1);
  }, 120_000);

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`a poller stopped with ${signal} gives back the feeds it has not done at once, keeps what it stored whole, and says so in one line`, async () => {
      await follow(opened.db, 40);
      // the first four requests are answered; the rest keep the poller waiting (two connections per host: the others queue behind them)
      let answered = 0;
      hold = () => answered++ >= 4;
      const run = startCli(["fetch"], { ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1", FEEDWERK_LEASE_SECONDS: "300" });
      try {
        for (let waited = 0; (held.length < 2 || (await opened.db.$count(documents)) < 4) && waited < 60_000; waited += 50) await sleep(50);
        expect(held).toHaveLength(2);
        // the workers the four stored documents freed claim the next batch once their group has committed: what is claimed is
        // counted once it stays the same for a while
        const leased = () => opened.db.$count(sources, sql`${sources.leaseUntil} > now()`);
        let claimed = await leased();
        for (let waited = 0; waited < 10_000; waited += 250) {
          await sleep(250);
          const again = await leased();
          if (again === claimed) break;
          claimed = again;
        }
        expect(claimed).toBeGreaterThan(0);
        run.child.kill(signal);
        const done = await run.exited;
        expect(done.status, done.stderr).toBe(signal === "SIGINT" ? 130 : 143);
        const lines = done.stderr.trim().split("\n");
        expect(lines).toEqual([expect.stringMatching(new RegExp(`^error: stopped by ${signal}: 4 feeds done, \\d+ given back to other pollers unfetched$`))]);
        // every claimed feed it had not done, and only those, is free again at once, as due as before and with no failure counted
        const notDone = await opened.db.$count(sources, sql`${sources.leasedAt} is not null and ${sources.lastFetchAt} is null`);
        expect(Number(/(\d+) given back/.exec(lines[0]!)![1])).toBe(notDone);
        expect(notDone).toBe(claimed);
        expect(await opened.db.$count(sources, sql`${sources.leaseToken} is not null or ${sources.leaseUntil} is not null`)).toBe(0);
        expect(await opened.db.$count(sources, sql`${sources.errorCount} > 0 or ${sources.lastStatus} is not null and ${sources.lastStatus} <> 'ok'`)).toBe(0);
        // what it stored is whole: four documents with all their entries, each recorded on its feed
        expect(await opened.db.$count(sources, sql`${sources.lastStatus} = 'ok'`)).toBe(4);
        expect(await stored(opened.db, 40)).toMatchObject({ items: 4 * ENTRIES, observations: 4 * ENTRIES, distinctGuids: 4 * ENTRIES, leased: 0 });
        expect(await opened.db.$count(documents)).toBe(4);

        // the next poller, at once, takes every feed this one left: nobody waits for a lease to run out
        hold = null;
        const fetcher = localFetcher();
        const next = await pollFeeds(opened.db, fetcher, { owner: "next" }).finally(() => fetcher.close());
        expect([next.feeds, next.stored]).toEqual([36, 36]);
        expect(await stored(opened.db, 40)).toMatchObject({
          documentsPerFeed: new Set([1]),
          feeds: 40,
          items: 120,
          distinctGuids: 120,
          observations: 120,
          leased: 0,
        });
      } finally {
        if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill("SIGKILL");
        releaseHeld();
      }
    }, 120_000);
  }
});
