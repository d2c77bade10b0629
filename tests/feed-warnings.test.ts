/**
 * Broken feeds, polled on both backends: a document that is not
 * well-formed, or not in the encoding it declares, is stored with the
 * entries a lenient reader recovers, and its source says why it is broken
 * (sources list, GET /api/sources) until a sound document replaces it. A
 * document with nothing to recover is a failed fetch with its reason.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { printableReason } from "../src/input/feed/errors";
import { createSite } from "../src/entry/site";
import { addFeedSource, findFeedSource } from "../src/storage/sources";
import { cli } from "./support/cli";
import { backends } from "./support/databases";
import { collectPoll, forEachPollingDatabase } from "./support/polling";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "feeds", name));
const TOKEN = "a-token-of-sixteen-or-more";
const HOPELESS = '<rss version="2.0"><channel><title>x & y</title></chan';
// a broken feed whose fault names something of its own, 100,000 characters long
const HOSTILE = `<rss version="2.0"><channel><item><title>t</title><link>https://h.example/1</link>&${"e".repeat(100_000)};</item></channel></rss>`;

let server: Server;
let base: string;
let brokenBody: Buffer;
beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? "/";
    const rss = { "content-type": "application/rss+xml" };
    if (path === "/broken.xml") return res.writeHead(200, rss).end(brokenBody);
    if (path === "/mislabelled.xml") return res.writeHead(200, rss).end(fixture("cp1252-declared-utf8.xml"));
    if (path === "/sound.xml") return res.writeHead(200, rss).end(fixture("rss2.xml"));
    if (path === "/hopeless.xml") return res.writeHead(200, rss).end(HOPELESS);
    if (path === "/hostile.xml") return res.writeHead(200, rss).end(HOSTILE);
    return res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  brokenBody = fixture("broken-ampersand.xml");
});

forEachPollingDatabase("broken feeds", (db, fetcher) => {
  it("stores what is recovered and records why the feed is broken on its source", async () => {
    for (const name of ["broken", "mislabelled", "sound", "hopeless"]) await addFeedSource(db.db, { url: `${base}/${name}.xml`, name });
    const now = new Date("2025-12-10T12:00:00Z");
    const results = await collectPoll(db.db, fetcher, { now: () => now, random: () => 0.5 });
    const outcome = (name: string) => results.find((r) => r.source.name === name)!;
    expect(outcome("broken")).toMatchObject({ outcome: "stored", report: { new: 2 } });
    expect(outcome("mislabelled")).toMatchObject({ outcome: "stored", report: { new: 1 } });
    expect(outcome("sound")).toMatchObject({ outcome: "stored", report: { new: 2 } });
    expect(outcome("hopeless")).toMatchObject({
      outcome: "failed",
      error: "not a readable RSS or Atom feed: unescaped & at line 1, and no entry could be recovered",
    });

    const source = async (name: string) => (await findFeedSource(db.db, name))!;
    expect(await source("broken")).toMatchObject({ lastStatus: "ok", lastError: null, parseWarning: "unescaped & at line 7" });
    expect(await source("mislabelled")).toMatchObject({ lastStatus: "ok", parseWarning: "document declared as utf-8, but parsed as windows-1252" });
    expect(await source("sound")).toMatchObject({ lastStatus: "ok", parseWarning: null });
    expect(await source("hopeless")).toMatchObject({ lastStatus: "failed", errorCount: 1, parseWarning: null });

    const app = createSite({ db: db.db, adminToken: TOKEN }).app;
    const listed = (await (await app.fetch(new Request("http://x/api/sources", { headers: { Authorization: `Bearer ${TOKEN}` } }))).json()) as {
      sources: { name: string; parse_warning: string | null }[];
    };
    expect(Object.fromEntries(listed.sources.map((s) => [s.name, s.parse_warning]))).toEqual({
      broken: "unescaped & at line 7",
      mislabelled: "document declared as utf-8, but parsed as windows-1252",
      sound: null,
      hopeless: null,
    });

    // what the operator is shown of a document's own words is printable and bounded
    await addFeedSource(db.db, { url: `${base}/hostile.xml`, name: "hostile" });
    await collectPoll(db.db, fetcher, { all: true, now: () => now, random: () => 0.5 });
    const hostile = (await source("hostile")).parseWarning!;
    expect(hostile).toMatch(/^undefined entity &e+…$/);
    expect(hostile.length).toBeLessThanOrEqual(300);
    // and a terminal's escape sequence in a server's words is spelt out, not sent to the terminal
    expect(printableReason("HTTP 500: \u001b[31mred\u009b")).toBe("HTTP 500: \\u001b[31mred\\u009b");

    // the publisher mends the feed: the next document is sound, and so is the source
    brokenBody = Buffer.from(
      fixture("broken-ampersand.xml")
        .toString("utf8")
        .replace("Tom & Jerry", "Tom &amp; Jerry")
        .replace("a=1&b=2", "a=1&amp;b=2")
        .replace("Müller & Söhne <b>feiern</b>", "Müller &amp; Söhne"),
    );
    const again = await collectPoll(db.db, fetcher, { all: true, now: () => new Date(now.getTime() + 3_600_000), random: () => 0.5 });
    expect(again.find((r) => r.source.name === "broken")).toMatchObject({ outcome: "stored" });
    expect(await source("broken")).toMatchObject({ lastStatus: "ok", parseWarning: null });
  });
});

describe("sources list", () => {
  it("shows why a followed feed is broken", async () => {
    const scratch = await backends[0]!.scratch();
    const env = { ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1" };
    try {
      expect((await cli(["sources", "add", `${base}/broken.xml`, "--name", "kaputt"], env)).status).toBe(0);
      expect((await cli(["fetch"], env)).status).toBe(0);
      const list = await cli(["sources", "list"], env);
      expect(list.stdout).toMatch(/^name\s+url\s+read as\s+last fetch\s+status\s+errors\s+next poll\s+article failures\s+broken feed\n/);
      expect(list.stdout).toMatch(/kaputt\s+http:\/\/127\.0\.0\.1:\d+\/broken\.xml\s+feed\s+\S+\s+ok\s+0\s+\S+\s+-\s+unescaped & at line 7\n/);
    } finally {
      await scratch.dispose();
    }
  }, 120_000);
});
