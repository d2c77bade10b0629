/**
 * The publisher while PostgreSQL goes away and comes back, as an operator
 * sees it: the Node server on a real listening port, its database reached
 * through a TCP proxy that the test stops (every live connection
 * destroyed) or freezes (connections held open, no byte through). Feeds it
 * rendered are served as they were, the rest answers 503 with Retry-After,
 * nothing hangs or answers 500, and it recovers by itself. PostgreSQL only:
 * the embedded PGlite lives in the process and cannot go away.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../src/entry/node/server";
import { openDatabase, type OpenDatabase } from "../src/storage/open";
import { outageCode } from "../src/storage/outage";
import { cli, startCli, type RunningCli } from "./support/cli";
import { rssParser } from "./support/feeds";
import { backends, type Scratch } from "./support/databases";
import { POOLER_PARAMETERS, startFakePooler } from "./support/fake-pooler";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy";

const pg = backends.find((b) => b.name === "postgres")!;
/** No answer may take longer: a bound on hanging, not a measure of speed. */
const ANSWER_WITHIN_MS = 5_000;
/** The server's version snapshot is at most 2 s old; past this, every request asks the database. */
const SNAPSHOT_EXPIRED_MS = 2_200;
const summer = join(import.meta.dirname, "pages", "summer-dst-image.txt");
const summerTitle = (JSON.parse(readFileSync(join(import.meta.dirname, "pages", "summer-dst-image.expected.json"), "utf8")) as { items: { title: string }[] })
  .items[0]!.title;
const rowsOf = (result: unknown): unknown[] => (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  status: number;
  headers: Headers;
  body: Buffer;
  ms: number;
}

describe.skipIf(pg.unavailable)("the publisher during a database outage, on postgres", () => {
  let scratch: Scratch;
  let proxy: TcpProxy;
  let opened: OpenDatabase;
  let server: RunningServer;
  const ADMIN_TOKEN = "outage-test-token-0123456789";
  const statuses: { path: string; status: number }[] = [];

  /** One request, timed; every status is kept to show that none was a 500. */
  async function get(path: string, headers: Record<string, string> = {}, init: { method?: string; body?: string } = {}): Promise<Answer> {
    const started = performance.now();
    const res = await fetch(`${server.url}${path}`, { ...init, headers, signal: AbortSignal.timeout(ANSWER_WITHIN_MS * 3) });
    const body = Buffer.from(await res.arrayBuffer());
    const ms = performance.now() - started;
    statuses.push({ path, status: res.status });
    expect(ms, `${path} answered in ${Math.round(ms)} ms`).toBeLessThan(ANSWER_WITHIN_MS);
    return { status: res.status, headers: res.headers, body, ms };
  }

  async function expectUnavailable(path: string, headers: Record<string, string> = {}, init: { method?: string; body?: string } = {}): Promise<void> {
    const res = await get(path, headers, init);
    expect(res.status, path).toBe(503);
    expect(Number(res.headers.get("retry-after")), path).toBeGreaterThan(0);
    expect(res.headers.get("cache-control"), path).toBe("no-store");
    const text = res.body.toString();
    expect(text.length, path).toBeLessThan(200);
    // nothing of the driver: no address, port, user, database name or stack
    for (const secret of ["127.0.0.1", String(proxy.port), "postgres", new URL(scratch.env.DATABASE_URL!).pathname.slice(1), "    at "]) {
      expect(text, path).not.toContain(secret);
    }
  }

  const feeds = [
    { path: "/feeds/ukraine.xml", headers: { "accept-encoding": "identity" } },
    { path: "/feeds/ukraine.atom", headers: { "accept-encoding": "gzip" } },
    { path: "/feeds/ukraine.json?limit=5", headers: { "accept-encoding": "br" } },
    { path: "/feeds/all.json", headers: { "accept-encoding": "identity" } },
  ];
  const warmed = new Map<string, Answer>();

  beforeAll(async () => {
    scratch = await pg.scratch();
    const direct = scratch.env.DATABASE_URL!;
    const migrate = await cli(["migrate"], { DATABASE_URL: direct });
    expect(migrate.status, migrate.stderr).toBe(0);
    const seeded = await cli(["ingest", "seeds/"], { DATABASE_URL: direct });
    expect(seeded.status, seeded.stderr).toBe(0);

    const target = new URL(direct);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    opened = await openDatabase({ url: proxy.through(direct) });
    server = await startServer(opened.db, { port: 0, hostname: "127.0.0.1", adminToken: ADMIN_TOKEN });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    proxy?.thaw();
    await opened?.close();
    await proxy?.close();
    await scratch?.dispose();
  });

  it("serves the feeds while the database is there", async () => {
    for (const { path, headers } of feeds) {
      const res = await get(path, headers);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("cache-control")).toContain("stale-if-error=");
      warmed.set(path, res);
    }
    expect((await get("/readyz")).status).toBe(200);
  });

  it("keeps serving rendered feeds with the database gone, and answers the rest with 503", async () => {
    await proxy.stop();
    // at once, before the version snapshot expires: what needs a query cannot have it
    await expectUnavailable("/feeds/krieg.xml?limit=3");
    await sleep(SNAPSHOT_EXPIRED_MS);

    for (let round = 0; round < 2; round++) {
      for (const { path, headers } of feeds) {
        const before = warmed.get(path)!;
        const res = await get(path, headers);
        expect(res.status, path).toBe(200);
        expect(res.headers.get("etag"), path).toBe(before.headers.get("etag"));
        expect(res.headers.get("content-encoding"), path).toBe(before.headers.get("content-encoding"));
        expect(res.body.equals(before.body), `${path}: the same bytes`).toBe(true);
        const revalidated = await get(path, { ...headers, "if-none-match": before.headers.get("etag")! });
        expect(revalidated.status, path).toBe(304);
        expect(revalidated.body.length).toBe(0);
      }
      await sleep(SNAPSHOT_EXPIRED_MS / 2);
    }

    await expectUnavailable("/feeds/ukraine.xml?limit=7");
    await expectUnavailable("/feeds/gibt-es-nicht.xml");
    await expectUnavailable("/feeds/ukraine", { accept: "text/html" });
    await expectUnavailable("/");
    await expectUnavailable("/feeds.opml");
    await expectUnavailable(`/items/${"0".repeat(32)}`);
    // the admin API too, writes included: a problem document, not the driver's words
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
    await expectUnavailable("/api/sources", admin);
    await expectUnavailable("/api/sources", admin, { method: "POST", body: JSON.stringify({ url: "https://news.example/feed.xml" }) });
    await expectUnavailable("/api/sources?name=news", admin, { method: "DELETE" });
    // many failed attempts in a row: the driver must not wait longer and longer between them
    for (let limit = 20; limit < 30; limit++) await expectUnavailable(`/feeds/all.xml?limit=${limit}`);

    const health = await get("/healthz");
    expect([health.status, health.body.toString()]).toEqual([200, "ok"]);
    const ready = await get("/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body.toString()).toMatch(/^not ready: the database is unreachable \(ECONNREFUSED\)$/);
  });

  it("recovers by itself when the database returns, and shows what was ingested meanwhile", async () => {
    const ingested = await cli(["ingest", summer, "--fetched-at", "2025-03-31T06:00:00Z"], { DATABASE_URL: scratch.env.DATABASE_URL! });
    expect(ingested.status, ingested.stderr).toBe(0);
    await expectUnavailable("/feeds/zeitumstellung.xml");

    await proxy.start();
    const back = performance.now();
    await expect.poll(async () => (await get("/readyz")).status, { timeout: 5_000, interval: 200 }).toBe(200);
    await expect.poll(async () => (await get("/feeds/zeitumstellung.xml")).status, { timeout: 5_000, interval: 200 }).toBe(200);
    expect(performance.now() - back).toBeLessThan(5_000);

    const all = await get("/feeds/all.json", { "accept-encoding": "identity" });
    expect(all.status).toBe(200);
    expect(all.headers.get("etag")).not.toBe(warmed.get("/feeds/all.json")!.headers.get("etag"));
    const titles = (JSON.parse(all.body.toString()) as { items: { title: string }[] }).items.map((i) => i.title);
    expect(titles).toContain(summerTitle);
    expect((await get("/feeds/krieg.xml?limit=3")).status).toBe(200);
    expect((await get("/")).status).toBe(200);
  });

  it("answers within its deadlines while the database does not answer at all, and recovers when it does", async () => {
    const before = await get("/feeds/ukraine.xml", { "accept-encoding": "identity" });
    expect(before.status).toBe(200);
    proxy.freeze();
    await sleep(SNAPSHOT_EXPIRED_MS);
    const cached = await get("/feeds/ukraine.xml", { "accept-encoding": "identity" });
    expect(cached.status).toBe(200);
    expect(cached.headers.get("etag")).toBe(before.headers.get("etag"));
    expect(cached.body.equals(before.body)).toBe(true);
    await expectUnavailable("/feeds/ukraine.xml?limit=9");
    await expectUnavailable("/");
    const ready = await get("/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body.toString()).toBe("not ready: the database did not answer within 2 s");
    expect((await get("/healthz")).status).toBe(200);

    proxy.thaw();
    await expect.poll(async () => (await get("/readyz")).status, { timeout: 5_000, interval: 200 }).toBe(200);
    expect((await get("/feeds/ukraine.xml?limit=9")).status).toBe(200);
  });

  it("never answered 500", () => {
    expect(statuses.length).toBeGreaterThan(40);
    expect(statuses.filter((s) => s.status >= 500 && s.status !== 503)).toEqual([]);
  });
});

describe.skipIf(pg.unavailable)("a server started while PostgreSQL is down, on postgres", () => {
  const scratches: Scratch[] = [];
  const proxies: TcpProxy[] = [];
  const running: RunningCli[] = [];

  afterAll(async () => {
    for (const run of running) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill("SIGKILL");
    for (const proxy of proxies) await proxy.close();
    for (const scratch of scratches) await scratch.dispose();
  });

  /** An empty database behind a stopped proxy, and the command started on it. */
  async function startWhileDown(args: string[]): Promise<{ run: RunningCli; proxy: TcpProxy; url: string; direct: string }> {
    const scratch = await pg.scratch();
    scratches.push(scratch);
    const direct = scratch.env.DATABASE_URL!;
    const target = new URL(direct);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    proxies.push(proxy);
    await proxy.stop();
    const run = startCli([...args, "--port", "0"], { DATABASE_URL: proxy.through(direct), FEEDWERK_DATA: "" });
    running.push(run);
    const url = (await run.waitFor(/ at (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    return { run, proxy, url, direct };
  }

  async function timed(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; text: string }> {
    const started = performance.now();
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(ANSWER_WITHIN_MS * 3) });
    const text = await res.text();
    const ms = performance.now() - started;
    expect(ms, `${url} answered in ${Math.round(ms)} ms`).toBeLessThan(ANSWER_WITHIN_MS);
    return { status: res.status, headers: res.headers, text };
  }

  async function expectWaiting(url: string): Promise<void> {
    expect(await timed(`${url}/healthz`)).toMatchObject({ status: 200, text: "ok" });
    expect(await timed(`${url}/readyz`)).toMatchObject({ status: 503, text: "not ready: the database is unreachable (ECONNREFUSED)" });
    for (const path of ["/feeds/ukraine.xml", "/feeds/ukraine.json", "/", "/feeds.opml", "/feeds/ukraine"]) {
      const res = await timed(`${url}${path}`);
      expect(res.status, path).toBe(503);
      expect(Number(res.headers.get("retry-after")), path).toBeGreaterThan(0);
      expect(res.headers.get("cache-control"), path).toBe("no-store");
      expect(res.text, path).not.toContain("127.0.0.1");
      // a reader's script on another origin can read a feed's 503 and when to try again
      if (path.startsWith("/feeds")) {
        expect(res.headers.get("access-control-allow-origin"), path).toBe("*");
        expect(res.headers.get("access-control-expose-headers"), path).toBe("Retry-After");
      }
    }
    // what needs no database answers as always
    const preflight = await timed(`${url}/feeds/ukraine.json`, {
      method: "OPTIONS",
      headers: { origin: "https://reader.example", "access-control-request-method": "GET" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    const post = await timed(`${url}/feeds.opml`, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    const favicon = await timed(`${url}/favicon.svg`);
    expect(favicon.status).toBe(200);
    expect(favicon.text).toContain("<svg");
  }

  it("start: comes up answering 503, then migrates, seeds and serves once the database answers", async () => {
    const { run, proxy, url } = await startWhileDown(["start"]);
    expect(run.output()).toMatch(/is unreachable \(ECONNREFUSED\): answering 503 until it answers/);
    await expectWaiting(url);
    // several attempts later, still the same answers, none slower
    await sleep(3_000);
    await expectWaiting(url);
    expect(run.output()).not.toContain("the database is empty");

    await proxy.start();
    await run.waitFor(/answers: prepared, serving/, 30_000);
    expect(run.output()).toMatch(/the database is empty: ingesting seeds\//);
    expect(await timed(`${url}/readyz`)).toMatchObject({ status: 200, text: "ready" });
    const feed = await timed(`${url}/feeds/ukraine.xml`);
    expect(feed.status).toBe(200);
    const parsed = await rssParser.parseString(feed.text);
    expect(parsed.items.length).toBeGreaterThan(0);

    run.child.kill("SIGTERM");
    expect((await run.exited).status, run.output()).toBe(0);
  }, 90_000);

  it("serve --poll: polls and prunes only once the database is prepared", async () => {
    const { run, proxy, url } = await startWhileDown(["serve", "--poll"]);
    await expectWaiting(url);
    expect(run.output()).not.toContain("polling followed feeds");
    await proxy.start();
    await run.waitFor(/polling followed feeds every 60 s/, 30_000);
    expect(await timed(`${url}/readyz`)).toMatchObject({ status: 200, text: "ready" });
    // an empty, migrated database: an empty feed list, not an error
    expect((await timed(`${url}/feeds.opml`)).status).toBe(200);
    run.child.kill("SIGINT");
    expect((await run.exited).status, run.output()).toBe(0);
  }, 90_000);

  it("still refuses to start on a database that waiting does not bring: one that does not exist", async () => {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = "/feedwerk_no_such_database";
    const run = await cli(["serve", "--port", "0"], { DATABASE_URL: url.toString() });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^error: cannot prepare the database PostgreSQL \(.*\): database "feedwerk_no_such_database" does not exist$/m);
    expect(run.stdout).not.toContain("feedwerk serves");
  }, 60_000);
});

describe.skipIf(pg.unavailable)("the serving client's statement timeout, on postgres", () => {
  let scratch: Scratch;
  beforeAll(async () => {
    scratch = await pg.scratch();
  });
  afterAll(() => scratch?.dispose());

  it("cancels a statement in a transaction that runs past it, as an outage (57014) the app answers with 503; other clients have none", async () => {
    const bounded = await openDatabase({ url: scratch.env.DATABASE_URL!, statementTimeoutMs: 300 });
    const unbounded = await openDatabase({ url: scratch.env.DATABASE_URL! });
    const settings = sql`select current_setting('statement_timeout') as statement_timeout, current_setting('idle_in_transaction_session_timeout') as idle_in_transaction_session_timeout`;
    try {
      await bounded.migrate();
      const shown = await bounded.db.transaction((tx) => tx.execute<{ statement_timeout: string; idle_in_transaction_session_timeout: string }>(settings));
      expect(rowsOf(shown)[0]).toEqual({ statement_timeout: "300ms", idle_in_transaction_session_timeout: "300ms" });
      // for that transaction only: the session, which a pooler may hand to another client, keeps the server's own
      expect(rowsOf(await bounded.db.execute(settings))[0]).toEqual({ statement_timeout: "0", idle_in_transaction_session_timeout: "0" });
      const started = performance.now();
      const error = await bounded.db
        .transaction((tx) => tx.execute(sql`select pg_sleep(3)`))
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(outageCode(error)).toBe("57014");
      expect(performance.now() - started).toBeLessThan(2_500);
      await expect(unbounded.db.transaction((tx) => tx.execute(sql`select pg_sleep(0.5)`))).resolves.toBeDefined();
      expect(rowsOf(await unbounded.db.transaction((tx) => tx.execute(sql`select current_setting('statement_timeout') as t`)))[0]).toEqual({ t: "0" });
    } finally {
      await bounded.close();
      await unbounded.close();
    }
  });

  it("works behind a pooler that refuses unknown startup parameters, as PgBouncer does", async () => {
    const target = new URL(scratch.env.DATABASE_URL!);
    const pooler = await startFakePooler({ host: target.hostname, port: Number(target.port || 5432) });
    const bounded = await openDatabase({ url: pooler.through(scratch.env.DATABASE_URL!), statementTimeoutMs: 300 });
    try {
      await bounded.migrate();
      expect(rowsOf(await bounded.db.execute(sql`select 1 as one`))[0]).toEqual({ one: 1 });
      const shown = await bounded.db.transaction((tx) => tx.execute(sql`select current_setting('statement_timeout') as t`));
      expect(rowsOf(shown)[0]).toEqual({ t: "300ms" });
      expect(pooler.refused).toEqual([]);
    } finally {
      await bounded.close();
      await pooler.close();
    }
  });

  it("serve stops at once, with the pooler's reason, when a pooler refuses its connections", async () => {
    const target = new URL(scratch.env.DATABASE_URL!);
    // a pooler stricter than PgBouncer: even the client's name is refused, which no waiting mends
    const pooler = await startFakePooler(
      { host: target.hostname, port: Number(target.port || 5432) },
      POOLER_PARAMETERS.filter((p) => p !== "application_name"),
    );
    try {
      const run = await cli(["serve", "--port", "0"], { DATABASE_URL: pooler.through(scratch.env.DATABASE_URL!), FEEDWERK_DATA: "" });
      expect(run.status, run.stdout + run.stderr).toBe(1);
      expect(run.stderr).toMatch(/^error: cannot prepare the database PostgreSQL \(.*\): unsupported startup parameter: application_name$/m);
      expect(run.stdout).not.toContain("unreachable");
      expect(run.stdout).not.toContain("feedwerk serves");
    } finally {
      await pooler.close();
    }
  }, 60_000);
});
