/**
 * What `serve --poll` logs, run for real with an admin token, a metrics token and a password in
 * DATABASE_URL, request logging on, and feeds whose title and error carry control characters: JSON lines
 * (its output is no terminal), every poll and every failure with its feed, and never a secret or a raw
 * control character, whatever the requests carried (tokens in headers and in query strings). /metrics,
 * read meanwhile, counts the polls and the items they brought.
 */
import { createServer, type Server } from "node:http";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sources } from "../src/storage/schema";
import { startCli } from "./support/cli";
import { backends } from "./support/databases";

const ADMIN_TOKEN = "admin-token-secret-0123456789";
const METRICS_TOKEN = "metrics-token-secret-9876543210";
const PASSWORD = "db-pass-w0rd-secret";
// C0 and C1 controls, DEL and ESC: what a terminal or a line collector would act on
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
const TITLE = "Feed \u0007mit \u001b[31mSteuerzeichen\u009b\r\nund Zeilenumbruch";

let feedServer: Server;
let base: string;

beforeAll(async () => {
  feedServer = createServer((req, res) => {
    if (req.url === "/good.xml") {
      return res
        .writeHead(200, { "content-type": "application/rss+xml" })
        .end(
          `<?xml version="1.0"?><rss version="2.0"><channel><title>Gut</title><link>https://gut.example.org/</link><description>d</description>` +
            `<item><title>Eine Meldung</title><link>https://gut.example.org/1</link><guid>g-1</guid></item></channel></rss>`,
        );
    }
    // a broken server whose answer says odd things: raw controls in the body of a 500
    res.writeHead(500, { "content-type": "text/plain" }).end(`kaputt \u0007\u001b[2J ${TITLE}`);
  });
  await new Promise<void>((resolve) => feedServer.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(feedServer.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => feedServer.close(() => resolve())));

const pg = backends.find((b) => b.name === "postgres")!;

describe.skipIf(pg.unavailable)("serve --poll's log, on postgres", () => {
  it("is JSON lines that name each feed polled and each failure, with no secret and no control character", async () => {
    const scratch = await pg.scratch();
    try {
      const setup = await scratch.open();
      await setup.migrate();
      // titles as an earlier poll stored them
      await setup.db.insert(sources).values([
        { kind: "feed", name: "gut", url: `${base}/good.xml`, title: TITLE },
        { kind: "feed", name: "kaputt\u0007", url: `${base}/broken.xml?token=${ADMIN_TOKEN}`, title: TITLE },
      ]);
      await setup.close();

      // the test server's user has trust authentication: any password is taken, and must not be shown
      const url = new URL(scratch.env.DATABASE_URL!);
      url.password = PASSWORD;
      const run = startCli(["serve", "--poll", "--port", "0"], {
        ...scratch.env,
        DATABASE_URL: url.toString(),
        FEEDWERK_ALLOWED_HOSTS: "127.0.0.1",
        FEEDWERK_ADMIN_TOKEN: ADMIN_TOKEN,
        FEEDWERK_METRICS_TOKEN: METRICS_TOKEN,
        FEEDWERK_ACCESS_LOG: "1",
      });
      try {
        const server = (await run.waitFor(/ at (http:\/\/127\.0\.0\.1:\d+)/, 60_000))[1]!;
        await run.waitFor(/poll: 1 of 2 feeds read, 1 with news; 1 failed/, 30_000);
        const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
        expect((await fetch(`${server}/api/sources`, { headers: admin })).status).toBe(200);
        expect((await fetch(`${server}/api/sources?token=${ADMIN_TOKEN}`, { headers: { authorization: "Bearer wrong-token-000000000000" } })).status).toBe(401);
        expect((await fetch(`${server}/feeds/gut.xml?access_token=${METRICS_TOKEN}`, { headers: admin })).status).toBeLessThan(500);
        const metrics = await fetch(`${server}/metrics?token=${METRICS_TOKEN}`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
        expect(metrics.status).toBe(200);
        const families = parsePrometheusTextFormat(await metrics.text());
        const sample = (name: string, labels: Record<string, string>) =>
          Number(families.find((f) => f.name === name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? 0);
        expect(sample("feedwerk_polls_total", { result: "stored" })).toBe(1);
        expect(sample("feedwerk_polls_total", { result: "failed" })).toBe(1);
        expect(sample("feedwerk_items_total", { change: "new" })).toBe(1);
        // a second pass may have ended before the scrape on a slow machine
        expect(sample("feedwerk_poll_passes_total", { result: "done" })).toBeGreaterThanOrEqual(1);
        expect(families.find((f) => f.name === "feedwerk_feed_fetch_duration_seconds")?.type).toBe("HISTOGRAM");
        expect(sample("feedwerk_database_pool_max_connections", { pool: "requests" })).toBe(4);
        expect(sample("feedwerk_database_pool_max_connections", { pool: "background" })).toBe(4);
        await run.waitFor(/GET \/metrics 200/);

        run.child.kill("SIGTERM");
        const done = await run.exited;
        expect(done.status, run.output()).toBe(0);
      } finally {
        if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill("SIGKILL");
      }

      const output = run.output();
      for (const secret of [ADMIN_TOKEN, METRICS_TOKEN, PASSWORD]) expect(output).not.toContain(secret);
      expect(output).not.toMatch(CONTROL);
      const lines = output.split("\n").filter(Boolean);
      const records = lines.map((line) => JSON.parse(line) as { level: string; time: string; msg: string; feed?: { name: string; url: string } });
      expect(records.every((r) => typeof r.time === "string" && typeof r.msg === "string")).toBe(true);
      // every poll with its feed, the failure as a warning with the remote's reason, escaped
      const polls = records.filter((r) => r.feed);
      expect(polls.map((r) => [r.level, r.feed!.name]).sort()).toEqual([
        ["info", "gut"],
        ["warn", "kaputt\\u0007"],
      ]);
      expect(polls.find((r) => r.level === "warn")!.feed!.url).toBe(`${base}/broken.xml?token=***`);
      expect(records.find((r) => r.msg.startsWith("feedwerk serves"))!.msg).toContain(":***@");
      // the requests, each in a line of its own, without their query strings
      expect(records.filter((r) => /^GET \/(api\/sources|feeds\/gut\.xml|metrics) \d{3} /.test(r.msg))).toHaveLength(4);
    } finally {
      await scratch.dispose();
    }
  }, 120_000);
});
