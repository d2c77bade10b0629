/**
 * The Worker in the real Workers runtime: `wrangler dev` runs it in a local
 * workerd against the test PostgreSQL (Hyperdrive's local stand-in). It
 * passes the same HTTP contract as the Node server, serves the same bytes
 * for the same data, ingests pages through its admin API (and tells the WebSub hub), answers repeated polls from the edge cache without the
 * database (and 503 for what needs it), and refuses to poll feeds from its cron trigger.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../src/entry/node/server";
import type { OpenDatabase } from "../src/storage/open";
import { listTags } from "../src/storage/queries";
import { items } from "../src/storage/schema";
import { INGEST_LOCK } from "../src/storage/store-document";
import { backends, type Scratch } from "./support/databases";
import { HOSTILE, describeHttpContract, loadContractData } from "./support/http-contract";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy";
import { startHubStub, type HubStub } from "./support/websub-hub";
import { startWorker, type RunningWorker } from "./support/worker";

const pg = backends.find((b) => b.name === "postgres")!;
const PUBLIC = "https://feeds.example.org";
const TOKEN = "edge-test-token-0123456789";

const listItemIds = (db: OpenDatabase["db"]) => db.select({ id: items.id }).from(items);

/** A migrated scratch database on the test PostgreSQL: its URL, a handle, and how to drop it. */
async function scratchDatabase(): Promise<{ url: string; opened: OpenDatabase; dispose(): Promise<void> }> {
  const scratch: Scratch = await pg.scratch();
  const opened = await scratch.open();
  await opened.migrate();
  return {
    url: scratch.env.DATABASE_URL!,
    opened,
    dispose: async () => {
      await opened.close();
      await scratch.dispose();
    },
  };
}

describeHttpContract(
  "HTTP in workerd (wrangler dev), postgres",
  async () => {
    const database = await scratchDatabase();
    const worker = await startWorker(database.url);
    return {
      url: worker.url,
      db: database.opened.db,
      close: async () => {
        await worker.close();
        await database.dispose();
      },
    };
  },
  { skip: pg.unavailable !== null },
);

describe.skipIf(pg.unavailable)("the Worker beside the Node server, on one PostgreSQL", () => {
  let database: Awaited<ReturnType<typeof scratchDatabase>>;
  let node: RunningServer;
  let worker: RunningWorker;
  let hub: HubStub;
  let proxy: TcpProxy;
  const identity = { "accept-encoding": "identity" };

  beforeAll(async () => {
    hub = await startHubStub();
    database = await scratchDatabase();
    await loadContractData(database.opened.db);
    node = await startServer(database.opened.db, { port: 0, hostname: "127.0.0.1", publicUrl: PUBLIC, hubUrl: hub.url });
    // the Worker reaches the database through a proxy that the last test freezes
    const target = new URL(database.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    worker = await startWorker(proxy.through(database.url), { FEEDWERK_PUBLIC_URL: PUBLIC, FEEDWERK_ADMIN_TOKEN: TOKEN, FEEDWERK_HUB_URL: hub.url });
  });
  afterAll(async () => {
    await worker?.close();
    await proxy?.close();
    await node?.close();
    await database?.dispose();
    await hub?.close();
  });

  it("serves the same status, headers and bytes as the Node server for every feed and page", async () => {
    const tags = await listTags(database.opened.db);
    const paths = ["/", "/feeds.opml", "/feeds/all.xml", "/feeds/all.json?limit=5", "/feeds/ukraine+krieg.atom", `/items/${HOSTILE.id}`];
    for (const tag of tags) paths.push(`/feeds/${tag.slug}.xml`, `/feeds/${tag.slug}.atom`, `/feeds/${tag.slug}.json`, `/feeds/${tag.slug}`);
    paths.push("/feeds/gibt-es-nicht.xml", "/feeds/ukraine.html", "/feeds/ukraine.xml?limit=0", "/items/nope", "/nowhere");
    const page = (await (await fetch(`${node.url}/feeds/all.json?limit=5`)).json()) as { next_url: string };
    paths.push(new URL(page.next_url).pathname + new URL(page.next_url).search);

    for (const path of paths) {
      const [a, b] = await Promise.all([fetch(`${node.url}${path}`, { headers: identity }), fetch(`${worker.url}${path}`, { headers: identity })]);
      const summary = (r: Response) => [
        r.status,
        r.headers.get("content-type"),
        r.headers.get("etag"),
        r.headers.get("last-modified"),
        r.headers.get("cache-control"),
      ];
      expect(summary(b), path).toEqual(summary(a));
      expect(await b.text(), path).toBe(await a.text());
    }
    expect(paths.length).toBeGreaterThan(40);
  });

  it("ingests a page posted to its admin API, behind the token, in one transaction", async () => {
    const page = readFileSync(join(import.meta.dirname, "pages", "summer-dst-image.txt"));
    const post = (token: string | null, body: Uint8Array) =>
      fetch(`${worker.url}/api/ingest?name=summer.txt&fetched_at=2025-07-01T10:00:00Z`, {
        method: "POST",
        headers: token ? { authorization: `Bearer ${token}` } : {},
        body,
      });
    const anonymous = await post(null, page);
    expect([anonymous.status, anonymous.headers.get("content-type")]).toEqual([401, "application/problem+json"]);
    expect((await post("edge-test-token-0123456789x", page)).status).toBe(401);
    // the schema of the query string holds in workerd too
    const unzoned = await fetch(`${worker.url}/api/ingest?name=summer.txt&fetched_at=2025-07-01T10:00:00`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: page,
    });
    expect(unzoned.status).toBe(400);
    expect(((await unzoned.json()) as { errors: string[] }).errors).toEqual([expect.stringMatching(/^fetched_at: /)]);
    const count = async () => (await listItemIds(database.opened.db)).length;
    const before = await count();
    const broken = await post(TOKEN, page.subarray(0, page.length / 2));
    expect(broken.status).toBe(422);
    expect(((await broken.json()) as { detail: string }).detail).toMatch(/^summer\.txt:\d+: /);
    expect(await count()).toBe(before);

    const res = await post(TOKEN, page);
    expect(res.status).toBe(200);
    const report = (await res.json()) as { new: number; changed_tags: string[] };
    expect(report.new).toBeGreaterThan(0);
    expect(await count()).toBe(before + report.new);
    // the hub hears of every changed feed, from work the Worker keeps alive after answering
    const expected = [...report.changed_tags, "all"].flatMap((tag) => ["xml", "atom", "json"].map((ext) => `${PUBLIC}/feeds/${tag}.${ext}`));
    await expect.poll(() => [...hub.pings].sort()).toEqual(expected.sort());
  });

  it("ends a write that waits on a lock with a 503, as the Node server does, instead of holding the request", async () => {
    // another ingestion holds the ingestion lock, longer than a statement of the Worker may wait (10 s)
    const holder = postgres(database.url, { max: 1, onnotice: () => {} });
    const watcher = postgres(database.url, { max: 1, onnotice: () => {} });
    const lockHeld = async () => (await watcher`select count(*)::int as n from pg_locks where locktype = 'advisory' and granted`)[0]!.n > 0;
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const held = holder.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${INGEST_LOCK})`;
      await Promise.race([released, new Promise((resolve) => setTimeout(resolve, 20_000))]);
    });
    try {
      await expect.poll(lockHeld).toBe(true);
      const page = readFileSync(join(import.meta.dirname, "pages", "winter-no-image.txt"));
      const res = await fetch(`${worker.url}/api/ingest?name=winter.txt&fetched_at=2025-01-15T10:00:00Z`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
        body: page,
      });
      // answered while the lock is still held: the statement timeout ended the wait, not the lock's release
      expect([res.status, await lockHeld()]).toEqual([503, true]);
    } finally {
      release();
      await held.catch(() => {});
      await holder.end();
      await watcher.end();
    }
  }, 40_000);

  it("refuses to poll feeds when its cron trigger fires, and says why", async () => {
    const res = await fetch(`${worker.url}/__scheduled?cron=*/15+*+*+*+*`);
    expect(res.status).toBe(500);
    await expect.poll(() => worker.output()).toContain("does not poll feeds on Workers");
  });

  // last: it takes the database away
  it("answers repeated polls of a feed from the edge cache without the database, and the rest with 503", async () => {
    const first = await fetch(`${worker.url}/feeds/ukraine.atom`);
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag")!;
    const body = await first.text();
    // the Worker stores the response after answering (waitUntil)
    await expect.poll(async () => (await fetch(`${worker.url}/feeds/ukraine.atom`, { headers: { "if-none-match": etag } })).status).toBe(304);

    // no byte gets through to the database any more, as on a network that drops every packet.
    // (Refusing connections outright would crash wrangler's local Hyperdrive proxy, whose
    // sockets have no error handlers; production Hyperdrive has no such proxy.)
    proxy.freeze();
    try {
      const again = await fetch(`${worker.url}/feeds/ukraine.atom`);
      expect(again.status).toBe(200);
      expect(again.headers.get("etag")).toBe(etag);
      expect(await again.text()).toBe(body);
      expect((await fetch(`${worker.url}/feeds/ukraine.atom`, { headers: { "if-none-match": etag } })).status).toBe(304);
      // what was never asked for, and what browsers get, comes from the database: now unreachable, so 503 within the app's deadlines, not 500
      const name = new URL(database.url).pathname.slice(1);
      for (const [path, headers] of [
        ["/feeds/krieg.atom?limit=3", {}],
        ["/feeds/ukraine.atom", { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" }],
        ["/", {}],
      ] as const) {
        const started = performance.now();
        const res = await fetch(`${worker.url}${path}`, { headers });
        expect(res.status, path).toBe(503);
        expect(performance.now() - started, path).toBeLessThan(5_000);
        expect(Number(res.headers.get("retry-after")), path).toBeGreaterThan(0);
        expect(await res.text(), path).not.toContain(name);
      }
      const ready = await fetch(`${worker.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toBe("not ready: the database did not answer within 2 s");
      expect((await fetch(`${worker.url}/healthz`)).status).toBe(200);
    } finally {
      proxy.thaw();
    }
    // and back: the next requests reach the database again
    expect((await fetch(`${worker.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${worker.url}/feeds/krieg.atom?limit=3`)).status).toBe(200);
  });
});
