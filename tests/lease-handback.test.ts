/**
 * Leases after a poller's end that gave none back, on PostgreSQL with real processes and cut
 * connections: a pass whose database goes away owes its leases and gives them back once the database
 * answers again, before its next pass claims; a `fetch` started on the machine of a poller that was
 * killed holding leases gives them back at start-up and polls those feeds at once, rather than after
 * the leases run out (five minutes by default).
 */
import { spawn } from "node:child_process";
import { createServer, type Server, type ServerResponse } from "node:http";
import { hostname } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OwedLeases } from "../src/pipeline/owed-leases";
import { pollFeeds } from "../src/pipeline/poll-feeds";
import { openDatabase, type OpenDatabase } from "../src/storage/open";
import { documents, sources } from "../src/storage/schema";
import { cli, ROOT } from "./support/cli";
import { backends, type Scratch } from "./support/databases";
import { localFetcher } from "./support/polling";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy";

const postgres = backends.find((b) => b.name === "postgres")!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function feedXml(n: number): string {
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>Feed ${n}</title><link>https://f${n}.example.org/</link><description>d</description>
<item><title>Meldung aus Feed ${n}</title><link>https://f${n}.example.org/artikel/1</link><guid isPermaLink="false">f${n}-1</guid></item></channel></rss>`;
}

/** Serves /f/N.xml; while `holding`, requests wait for release(). */
let server: Server;
let base: string;
let holding = false;
let held: { n: number; res: ServerResponse }[] = [];
const release = () => {
  for (const { n, res } of held.splice(0)) if (!res.destroyed) res.writeHead(200, { "content-type": "application/rss+xml" }).end(feedXml(n));
};

describe.skipIf(postgres.unavailable)("leases handed back after a poller's end, on postgres", () => {
  let scratch: Scratch;
  let opened: OpenDatabase;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const n = Number(/^\/f\/(\d+)\.xml$/.exec(req.url ?? "")?.[1] ?? -1);
      if (n < 0) return res.writeHead(404).end();
      if (holding) held.push({ n, res });
      else res.writeHead(200, { "content-type": "application/rss+xml" }).end(feedXml(n));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    scratch = await postgres.scratch();
    opened = await scratch.open();
    await opened.migrate();
  });
  afterAll(async () => {
    release();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await opened?.close();
    await scratch?.dispose();
  });
  beforeEach(async () => {
    holding = false;
    held = [];
    await opened.db.execute(sql`truncate table item_tags, observations, documents, items, tags, sources, feed_state restart identity cascade`);
    await opened.db.insert(sources).values(Array.from({ length: 40 }, (_, n) => ({ kind: "feed" as const, name: `f${n}`, url: `${base}/f/${n}.xml` })));
  });

  const leased = () => opened.db.$count(sources, sql`${sources.leaseUntil} > now()`);

  it("a pass whose database goes away owes what it claimed, and gives it back when the database returns, before claiming", async () => {
    const url = scratch.env.DATABASE_URL!;
    const at = new URL(url);
    const proxy: TcpProxy = await startTcpProxy({ host: at.hostname, port: Number(at.port || 5432) });
    const through = await openDatabase({ url: proxy.through(url) });
    const fetcher = localFetcher();
    const owed = new OwedLeases();
    try {
      holding = true;
      const failing = pollFeeds(through.db, fetcher, { owner: "poller-a", owed });
      for (let waited = 0; held.length < 2 && waited < 30_000; waited += 20) await sleep(20);
      expect(held.length).toBeGreaterThanOrEqual(2);
      // the database goes away while the pass waits on its fetches; then they are answered and the pass fails storing them
      await proxy.stop();
      holding = false;
      release();
      await expect(failing).rejects.toThrow();
      expect(owed.size).toBeGreaterThan(0);
      const stuck = await leased();
      expect(stuck).toBeGreaterThanOrEqual(2);
      expect(await opened.db.$count(sources, sql`${sources.leaseOwner} = 'poller-a'`)).toBe(stuck);

      // back: the next pass first gives back what it owes, then polls every feed, those included
      await proxy.start();
      const summary = await pollFeeds(through.db, fetcher, { owner: "poller-a", owed });
      expect(owed.size).toBe(0);
      expect([summary.feeds, summary.stored, summary.failed]).toEqual([40, 40, 0]);
      expect(await leased()).toBe(0);
      expect(await opened.db.$count(documents)).toBe(40);
    } finally {
      await fetcher.close();
      await through.close();
      await proxy.close();
    }
  }, 90_000);

  it("a fetch started after a poller of its machine was killed holding leases gives them back at once and polls those feeds", async () => {
    holding = true;
    const env = { ...process.env, ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1" };
    const victim = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/entry/cli/main.ts"), "fetch"], { cwd: ROOT, env, stdio: "ignore" });
    const exited = new Promise((resolve) => victim.on("exit", resolve));
    try {
      for (let waited = 0; held.length < 2 && waited < 60_000; waited += 20) await sleep(20);
      expect(held.length).toBeGreaterThanOrEqual(2);
      victim.kill("SIGKILL");
      await exited;
    } finally {
      if (victim.exitCode === null && victim.signalCode === null) victim.kill("SIGKILL");
    }
    holding = false;
    release();
    const victimsLeases = await leased();
    expect(victimsLeases).toBeGreaterThan(0);
    const owner = `${hostname()} pid ${victim.pid}`;
    expect(await opened.db.$count(sources, sql`${sources.leaseOwner} = ${owner}`)).toBe(victimsLeases);

    // a poller of another name leaves them alone: they may be a live poller's on another machine
    const other = await cli(["fetch"], { ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1", FEEDWERK_POLLER_NAME: "elsewhere" });
    expect(other.status).toBe(0);
    expect(other.stdout).toContain(`${40 - victimsLeases} of ${40 - victimsLeases} feeds read`);
    expect(await leased()).toBe(victimsLeases);

    // the lease is five minutes, yet the next poller of this machine polls them now
    const next = await cli(["fetch"], { ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1" });
    expect(next.status).toBe(0);
    expect(next.stdout).toContain(`gave back ${victimsLeases} feeds held by ${owner}, gone`);
    expect(next.stdout).toContain(`${victimsLeases} of ${victimsLeases} feeds read`);
    expect(await leased()).toBe(0);
    expect(await opened.db.$count(documents)).toBe(40);
  }, 120_000);
});
