/**
 * /metrics of the Node server, read by a Prometheus text-format parser: requests counted by route pattern
 * (never the raw path) and status, the feed cache's hits, misses and 304s, the feeds due and the leases held
 * read at scrape time, on both databases; and who may read it: this machine, and any other only with the
 * metrics token, a request through a proxy (a forwarding header, or FEEDWERK_PUBLIC_URL set) only with it too.
 */
import { request as httpRequest } from "node:http";
import { networkInterfaces } from "node:os";
import { sql } from "drizzle-orm";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLoopback, metricsRefusal } from "../src/entry/node/metrics-access";
import { ServerMetrics } from "../src/entry/node/metrics";
import { startServer, type RunningServer } from "../src/entry/node/server";
import { ingestPage } from "../src/pipeline/ingest-page";
import { listTags } from "../src/storage/queries";
import { sources } from "../src/storage/schema";
import { backends, databaseForSuite, forEachDatabase } from "./support/databases";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const TOKEN = "metrics-token-0123456789abcdef";
const SEED = {
  name: "seed-alaska.txt",
  bytes: new Uint8Array(readFileSync(join(import.meta.dirname, "pages", "seed-alaska.txt"))),
  fetchedAt: new Date("2025-12-09T13:00:00Z"),
};

type Family = ReturnType<typeof parsePrometheusTextFormat>[number];

/** The value of a counter or gauge sample whose labels include `labels`; 0 when there is none. */
function value(families: Family[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  const sample = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return sample ? Number(sample.value ?? sample.count) : 0;
}

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Family[] & { text: string }> {
  const res = await fetch(`${url}/metrics`, { headers });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return Object.assign(parsePrometheusTextFormat(text), { text });
}

forEachDatabase("/metrics", (db) => {
  let server: RunningServer;
  let slug: string;
  beforeAll(async () => {
    await ingestPage(db.db, SEED);
    slug = (await listTags(db.db))[0]!.slug;
    const metrics = new ServerMetrics({ db: db.db, pools: [{ name: "requests", maxConnections: db.maxConnections }] });
    server = await startServer(db.db, { port: 0, hostname: "127.0.0.1", metrics: { counters: metrics, access: { token: TOKEN, behindProxy: false } } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("counts requests by route pattern and status, and how the feed cache served them", async () => {
    const feed = `${server.url}/feeds/${slug}.xml`;
    const first = await fetch(feed);
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag")!;
    await first.text();
    // the second is the hot path's (the server answers before the app); the third a 304
    expect((await fetch(feed)).status).toBe(200);
    expect((await fetch(feed, { headers: { "if-none-match": etag } })).status).toBe(304);
    // made-up paths, which must not become labels
    for (const path of ["/no/such/page-1", "/no/such/page-2", "/feeds/no-such-tag.xml", `/items/${"0".repeat(32)}`])
      await (await fetch(`${server.url}${path}`)).text();

    const families = await scrape(server.url);
    expect(value(families, "feedwerk_http_requests_total", { route: "/feeds/:file", status: "200" })).toBe(2);
    expect(value(families, "feedwerk_http_requests_total", { route: "/feeds/:file", status: "304" })).toBe(1);
    expect(value(families, "feedwerk_http_requests_total", { route: "/feeds/:file", status: "404" })).toBe(1);
    expect(value(families, "feedwerk_http_requests_total", { route: "/items/:id", status: "404" })).toBe(1);
    expect(value(families, "feedwerk_http_requests_total", { route: "other", status: "404" })).toBe(2);
    expect(value(families, "feedwerk_feed_cache_total", { result: "miss" })).toBe(1);
    expect(value(families, "feedwerk_feed_cache_total", { result: "hit" })).toBe(2);
    expect(value(families, "feedwerk_feed_not_modified_total")).toBe(1);
    const routes = new Set(families.find((f) => f.name === "feedwerk_http_requests_total")!.metrics.map((m) => m.labels!.route));
    expect([...routes].sort()).toEqual(["/feeds/:file", "/items/:id", "other"]);
    const latency = families.find((f) => f.name === "feedwerk_http_request_duration_seconds")!;
    expect(latency.type).toBe("HISTOGRAM");
    // the parser folds a histogram's samples into one, whatever their labels: each route's count read from its line
    expect(families.text).toMatch(/^feedwerk_http_request_duration_seconds_count\{route="\/feeds\/:file"\} 4$/m);
    // the process's own: the event loop's delay among them
    expect(families.map((f) => f.name)).toEqual(expect.arrayContaining(["nodejs_eventloop_lag_seconds", "process_resident_memory_bytes"]));
    expect(value(families, "feedwerk_database_pool_max_connections", { pool: "requests" })).toBe(db.maxConnections);
  });

  it("reads the feeds due and the leases held at each scrape", async () => {
    await db.db.insert(sources).values([
      { kind: "feed", name: "due-1", url: "http://127.0.0.1:9/1.xml" },
      { kind: "feed", name: "due-2", url: "http://127.0.0.1:9/2.xml", nextPollAt: new Date(Date.now() - 60_000) },
      { kind: "feed", name: "later", url: "http://127.0.0.1:9/3.xml", nextPollAt: new Date(Date.now() + 3_600_000) },
    ]);
    await db.db.execute(sql`update sources set lease_owner = 'elsewhere', lease_token = 't', lease_until = now() + interval '5 minutes' where name = 'due-2'`);
    const families = await scrape(server.url);
    expect(value(families, "feedwerk_feeds_followed")).toBe(3);
    expect(value(families, "feedwerk_feeds_due")).toBe(1);
    expect(value(families, "feedwerk_feed_leases_held")).toBe(1);
    expect(value(families, "feedwerk_database_up")).toBe(1);
  });
});

describe("who may read /metrics", () => {
  const loopback = { token: TOKEN, behindProxy: false };

  it("knows loopback addresses, and nothing else, as loopback", () => {
    expect(["127.0.0.1", "127.3.2.1", "::1", "::ffff:127.0.0.1"].map(isLoopback)).toEqual([true, true, true, true]);
    expect(["10.0.0.1", "::ffff:10.0.0.1", "128.0.0.1", "fe80::1", "", undefined].map(isLoopback)).toEqual([false, false, false, false, false, false]);
  });

  it("lets loopback in, and others with the token alone", async () => {
    expect(await metricsRefusal("127.0.0.1", {}, loopback)).toBeNull();
    expect(await metricsRefusal("::1", {}, loopback)).toBeNull();
    expect(await metricsRefusal("10.1.2.3", {}, loopback)).toMatchObject({ status: 401 });
    expect(await metricsRefusal("10.1.2.3", { authorization: "Bearer wrong-token-0123456789" }, loopback)).toMatchObject({ status: 401 });
    expect(await metricsRefusal("10.1.2.3", { authorization: `Basic ${TOKEN}` }, loopback)).toMatchObject({ status: 401 });
    expect(await metricsRefusal("10.1.2.3", { authorization: `Bearer ${TOKEN}` }, loopback)).toBeNull();
    // without a token nobody else gets in
    expect(await metricsRefusal("10.1.2.3", { authorization: `Bearer ${TOKEN}` }, { token: undefined, behindProxy: false })).toMatchObject({ status: 403 });
  });

  it("asks a proxied request for the token, though it comes from loopback", async () => {
    expect(await metricsRefusal("127.0.0.1", { "x-forwarded-for": "203.0.113.9" }, loopback)).toMatchObject({ status: 401 });
    expect(await metricsRefusal("127.0.0.1", { forwarded: "for=203.0.113.9" }, loopback)).toMatchObject({ status: 401 });
    expect(await metricsRefusal("127.0.0.1", {}, { token: TOKEN, behindProxy: true })).toMatchObject({ status: 401 });
    expect(await metricsRefusal("127.0.0.1", { authorization: `Bearer ${TOKEN}` }, { token: TOKEN, behindProxy: true })).toBeNull();
    expect(await metricsRefusal("127.0.0.1", {}, { token: undefined, behindProxy: true })).toMatchObject({ status: 403 });
  });

  // a real request from another address of this machine: the socket's own remote address, not a header
  const outside = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;

  describe.skipIf(!outside)(`from this machine's other address (${outside})`, () => {
    const db = databaseForSuite(backends[0]!);
    let server: RunningServer;
    let port: number;
    beforeAll(async () => {
      server = await startServer(db.db, { port: 0, hostname: "0.0.0.0", metrics: { counters: new ServerMetrics(), access: loopback } });
      port = Number(new URL(server.url).port);
    });
    afterAll(async () => {
      await server?.close();
    });

    /** GET /metrics from `from` to `to`, as a socket bound there. */
    const get = (to: string, from: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: string; authenticate: string | undefined }>((resolve, reject) => {
        const req = httpRequest({ host: to, port, path: "/metrics", localAddress: from, headers }, (res) => {
          let body = "";
          res.on("data", (d) => (body += d));
          res.on("end", () => resolve({ status: res.statusCode!, body, authenticate: res.headers["www-authenticate"] }));
        });
        req.on("error", reject);
        req.end();
      });

    it("answers it with the token alone, compared whole", async () => {
      expect((await get("127.0.0.1", "127.0.0.1")).status).toBe(200);
      const none = await get(outside!, outside!);
      expect([none.status, none.authenticate]).toEqual([401, 'Bearer realm="feedwerk metrics"']);
      expect(none.body).not.toContain("feedwerk_");
      expect((await get(outside!, outside!, { authorization: `Bearer ${TOKEN.slice(0, -1)}` })).status).toBe(401);
      expect((await get(outside!, outside!, { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
      const allowed = await get(outside!, outside!, { authorization: `Bearer ${TOKEN}` });
      expect(allowed.status).toBe(200);
      expect(parsePrometheusTextFormat(allowed.body).map((f) => f.name)).toContain("feedwerk_http_requests_total");
    });
  });
});
