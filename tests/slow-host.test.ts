/**
 * A slow host holds no more of a pass's workers than the fetcher gives it turns: the feeds of an
 * origin whose turns are all taken wait unclaimed, or claimed in the queue, while the workers poll
 * other hosts' feeds. Two local servers on ports of their own are two origins: one answers each
 * feed after 1.2 s, the other at once. The slow one's feeds are claimed first (added first), and still
 * every feed of the fast one is done before the slow one is half through; each feed is polled
 * once, and no lease is left held. The origin a claim leaves out is the one the fetcher counts turns
 * of, worked out by the database (sources.origin).
 */
import { createServer, type Server } from "node:http";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { followableUrl } from "../src/input/feed/followable-url";
import { pollFeeds, type PollSummary } from "../src/pipeline/poll-feeds";
import type { Database } from "../src/storage/database";
import { sources } from "../src/storage/schema";
import { claimFeedSources } from "../src/storage/sources";
import { forEachBackend } from "./support/databases";
import { beforeMigration } from "./support/migrations";
import { forEachPollingDatabase } from "./support/polling";

const SLOW = 30;
/** Workers of the passes here: fewer than the slow host's feeds, so that a claim has more of them to leave out. */
const WORKERS = 8;
const FAST = 120;
const SLOW_MS = 1_200;

function feedXml(host: string, n: number): string {
  const link = `https://${host}${n}.example.org/`;
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>${host} ${n}</title><link>${link}</link><description>d</description><item><title>Meldung aus ${host} ${n}</title><link>${link}a</link><guid isPermaLink="false">${host}-${n}</guid></item></channel></rss>`;
}

/** Serves /f/N.xml after `delayMs`, counting the requests per feed. */
interface Host {
  server: Server;
  base: string;
  hits: Map<number, number>;
}

async function host(name: string, delayMs: number): Promise<Host> {
  const hits = new Map<number, number>();
  const server = createServer((req, res) => {
    const n = Number(/^\/f\/(\d+)\.xml$/.exec(req.url ?? "")?.[1] ?? -1);
    if (n < 0) return res.writeHead(404).end();
    hits.set(n, (hits.get(n) ?? 0) + 1);
    const answer = () => {
      if (!res.destroyed) res.writeHead(200, { "content-type": "application/rss+xml; charset=utf-8", etag: `"${name}${n}"` }).end(feedXml(name, n));
    };
    if (req.headers["if-none-match"] === `"${name}${n}"`) setTimeout(() => res.writeHead(304).end(), delayMs);
    else setTimeout(answer, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as { port: number }).port}`, hits };
}

let slow: Host;
let fast: Host;
beforeAll(async () => {
  [slow, fast] = await Promise.all([host("slow", SLOW_MS), host("fast", 0)]);
});
afterAll(async () => {
  for (const h of [slow, fast]) await new Promise<void>((resolve) => h.server.close(() => resolve()));
});
beforeEach(() => {
  slow.hits.clear();
  fast.hits.clear();
});

/** The slow host's feeds first: the most overdue, claimed before any of the fast host's. */
async function follow(db: Database): Promise<void> {
  const feeds = (h: Host, prefix: string, count: number) =>
    Array.from({ length: count }, (_, n) => ({ kind: "feed" as const, name: `${prefix}${n}`, url: `${h.base}/f/${n}.xml` }));
  await db.insert(sources).values(feeds(slow, "slow", SLOW));
  await db.insert(sources).values(feeds(fast, "fast", FAST));
}

const hitCounts = (h: Host, count: number) => new Set(Array.from({ length: count }, (_, n) => h.hits.get(n) ?? 0));

/** How many of the slow host's feeds were done when the last of the fast host's was. */
function slowDoneBeforeLastFast(order: string[]): number {
  const lastFast = order.findLastIndex((name) => name.startsWith("fast"));
  return order.slice(0, lastFast).filter((name) => name.startsWith("slow")).length;
}

forEachPollingDatabase("a slow host", (db, fetcher) => {
  it("holds no more workers than its turns at the fetcher: the fast host's feeds are done first, and every feed once", async () => {
    await follow(db.db);
    const order: string[] = [];
    const summary = await pollFeeds(db.db, fetcher, { owner: "pass", concurrency: WORKERS, onDone: (r) => order.push(r.source.name) });
    expect(summary).toMatchObject<Partial<PollSummary>>({ feeds: SLOW + FAST, stored: SLOW + FAST, failed: 0, leaseLost: 0 });
    expect([hitCounts(slow, SLOW), hitCounts(fast, FAST)]).toEqual([new Set([1]), new Set([1])]);
    expect(new Set(order).size).toBe(SLOW + FAST);
    expect(slowDoneBeforeLastFast(order)).toBeLessThan(SLOW / 2);
    expect(await db.db.$count(sources, sql`${sources.leaseToken} is not null or ${sources.leaseUntil} is not null`)).toBe(0);
  }, 120_000);

  it("does the same in a pass over every feed (`fetch --all`), none of them due", async () => {
    await follow(db.db);
    await db.db.update(sources).set({ nextPollAt: sql`now() + interval '1 day'` });
    const order: string[] = [];
    const summary = await pollFeeds(db.db, fetcher, { owner: "all", all: true, concurrency: WORKERS, onDone: (r) => order.push(r.source.name) });
    expect(summary).toMatchObject<Partial<PollSummary>>({ feeds: SLOW + FAST, failed: 0, leaseLost: 0 });
    expect([hitCounts(slow, SLOW), hitCounts(fast, FAST)]).toEqual([new Set([1]), new Set([1])]);
    expect(new Set(order).size).toBe(SLOW + FAST);
    expect(slowDoneBeforeLastFast(order)).toBeLessThan(SLOW / 2);
    expect(await db.db.$count(sources, sql`${sources.leaseToken} is not null or ${sources.leaseUntil} is not null`)).toBe(0);
    // each feed's next poll set again: nothing is due after it
    expect((await pollFeeds(db.db, fetcher, { owner: "after" })).feeds).toBe(0);
  }, 120_000);
});

const ADDRESSES = [
  "https://Example.ORG:443/feed.xml?x=1",
  "http://example.org:8080/a/b.xml",
  "https://bücher.example/feed",
  "http://[::1]:8080/f",
  "HTTPS://news.example.org#top",
  "https://news.example.org?x",
  "http://127.0.0.1:80/f/1.xml",
];

forEachPollingDatabase("the origin of a followed address", (db) => {
  it("is the fetcher's origin of the address as followed; a source without an address has none", async () => {
    const urls = ADDRESSES.map(followableUrl);
    await db.db.insert(sources).values([...urls.map((url, n) => ({ kind: "feed" as const, name: `f${n}`, url })), { kind: "page", name: "portal" }]);
    const rows = await db.db.select({ url: sources.url, origin: sources.origin }).from(sources).orderBy(sources.id);
    expect(rows).toEqual([...urls.map((url) => ({ url, origin: new URL(url).origin })), { url: null, origin: null }]);
    // and follows a feed that moved
    await db.db.update(sources).set({ url: "https://moved.example.net:8443/feed" }).where(sql`${sources.name} = 'f0'`);
    expect((await db.db.select({ origin: sources.origin }).from(sources).where(sql`${sources.name} = 'f0'`))[0]!.origin).toBe("https://moved.example.net:8443");
  });

  it("is left out of a claim while busy: the most overdue feeds of other origins are claimed, and its own once it is not", async () => {
    const url = (host: string, n: number) => `https://${host}.example.org/f/${n}.xml`;
    await db.db.insert(sources).values(Array.from({ length: 4 }, (_, n) => ({ kind: "feed" as const, name: `slow${n}`, url: url("slow", n) })));
    await db.db.insert(sources).values(Array.from({ length: 4 }, (_, n) => ({ kind: "feed" as const, name: `fast${n}`, url: url("fast", n) })));
    const claim = (token: string, busyOrigins: string[]) =>
      claimFeedSources(db.db, { lease: { owner: "o", token }, limit: 3, leaseSeconds: 300, dueAt: new Date(), busyOrigins }).then((r) =>
        r.map((s) => s.name).sort(),
      );
    expect(await claim("a", ["https://slow.example.org"])).toEqual(["fast0", "fast1", "fast2"]);
    expect(await claim("b", ["https://slow.example.org", "https://fast.example.org"])).toEqual([]);
    expect(await claim("c", [])).toEqual(["slow0", "slow1", "slow2"]);
  });
});

forEachBackend("the migration source_origin", (backend) => {
  it("gives the feeds followed before it their origin", async () => {
    await beforeMigration(backend, "source_origin", async (opened) => {
      await opened.db.execute(sql`insert into sources (kind, name, url) values ('feed', 'a', 'https://a.example.org:8443/feed.xml'), ('page', 'portal', null)`);
      await opened.migrate();
      const rows = await opened.db.select({ name: sources.name, origin: sources.origin }).from(sources).orderBy(sources.name);
      expect(rows).toEqual([
        { name: "a", origin: "https://a.example.org:8443" },
        { name: "portal", origin: null },
      ]);
    });
  }, 120_000);
});
