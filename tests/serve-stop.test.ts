/**
 * `serve --poll` stopped with SIGTERM in the middle of a pass whose fetches a slow feed server holds, with
 * a keep-alive connection left idle, one never used and one still sending its request: it exits 0 well within its bound, the feeds it claimed are free again
 * at once (no lease left), and the next poller takes every one of them at once. On both databases (the
 * embedded one is looked at once the server has let go of it).
 */
import { Agent, createServer, get, type Server, type ServerResponse } from "node:http";
import { connect } from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { pollFeeds } from "../src/pipeline/poll-feeds";
import { sources } from "../src/storage/schema";
import { startCli } from "./support/cli";
import { forEachBackend } from "./support/databases";
import { localFetcher } from "./support/polling";

const FEEDS = 20;
const STOP_BOUND_MS = 10_000;

let feedServer: Server;
let base: string;
const held: ServerResponse[] = [];
let holding = true;

const feedXml = (n: number) =>
  `<?xml version="1.0"?><rss version="2.0"><channel><title>Feed ${n}</title><link>https://f${n}.example.org/</link><description>d</description>` +
  `<item><title>Meldung aus Feed ${n}</title><link>https://f${n}.example.org/1</link><guid>f${n}-1</guid></item></channel></rss>`;

beforeAll(async () => {
  feedServer = createServer((req, res) => {
    const n = Number(/^\/f\/(\d+)\.xml$/.exec(req.url ?? "")?.[1] ?? -1);
    if (n < 0) return res.writeHead(404).end();
    if (holding) return void held.push(res);
    res.writeHead(200, { "content-type": "application/rss+xml" }).end(feedXml(n));
  });
  await new Promise<void>((resolve) => feedServer.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(feedServer.address() as { port: number }).port}`;
});
afterAll(() => {
  for (const res of held.splice(0)) res.destroy();
  return new Promise<void>((resolve) => feedServer.close(() => resolve()));
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

forEachBackend("serve --poll stopped mid-pass", (backend) => {
  it("exits 0 within its bound, its claims given back at once, and the next poller takes them", async () => {
    holding = true;
    const scratch = await backend.scratch();
    try {
      const setup = await scratch.open();
      await setup.migrate();
      await setup.db.insert(sources).values(Array.from({ length: FEEDS }, (_, n) => ({ kind: "feed" as const, name: `f${n}`, url: `${base}/f/${n}.xml` })));
      await setup.close();

      const run = startCli(["serve", "--poll", "--port", "0"], { ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1", FEEDWERK_LEASE_SECONDS: "300" });
      try {
        const url = (await run.waitFor(/ at (http:\/\/127\.0\.0\.1:\d+)/, 60_000))[1]!;
        for (let waited = 0; held.length < 2 && waited < 30_000; waited += 50) await sleep(50);
        expect(held.length).toBeGreaterThanOrEqual(2);
        // a keep-alive connection, answered and left idle: it must not keep the server from closing
        const agent = new Agent({ keepAlive: true });
        const status = await new Promise<number>((resolve, reject) =>
          get(`${url}/healthz`, { agent }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode!));
          }).on("error", reject),
        );
        expect(status).toBe(200);
        // a connection opened ahead and never used (as browsers open them), and one still sending its request's head:
        // neither holds a request the stop must wait for
        const { port } = new URL(url);
        const unused = connect(Number(port), "127.0.0.1");
        const halfSent = connect(Number(port), "127.0.0.1", () => halfSent.write("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
        for (const socket of [unused, halfSent]) socket.on("error", () => {});
        await Promise.all(
          [unused, halfSent].map((socket) => new Promise((resolve) => (socket.readyState === "open" ? resolve(null) : socket.once("connect", resolve)))),
        );
        await sleep(100);

        const stoppedAt = performance.now();
        run.child.kill("SIGTERM");
        const done = await run.exited;
        const took = performance.now() - stoppedAt;
        agent.destroy();
        unused.destroy();
        halfSent.destroy();
        expect(done.status, run.output()).toBe(0);
        expect(took).toBeLessThan(STOP_BOUND_MS);
        expect(run.output()).toMatch(/stopping \(SIGTERM\)/);
        expect(run.output()).toMatch(/"msg":"stopped"/);
        expect(run.output()).not.toMatch(/cut/);
      } finally {
        if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill("SIGKILL");
      }

      const after = await scratch.open();
      try {
        expect(await after.db.$count(sources, sql`${sources.leaseUntil} > now() or ${sources.leaseToken} is not null`)).toBe(0);
        expect(await after.db.$count(sources, sql`${sources.errorCount} > 0`)).toBe(0);
        holding = false;
        const fetcher = localFetcher();
        const next = await pollFeeds(after.db, fetcher, { owner: "next" }).finally(() => fetcher.close());
        expect([next.feeds, next.stored]).toEqual([FEEDS, FEEDS]);
      } finally {
        await after.close();
      }
    } finally {
      for (const res of held.splice(0)) res.destroy();
      await scratch.dispose();
    }
  }, 120_000);
});
