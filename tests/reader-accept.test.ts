/**
 * Real feed readers at a feed URL get the feed, whatever Accept they send:
 * rss-parser, curl, newsboat and Python's feedparser (Debian's packages)
 * fetch /feeds/ukraine.xml and .atom through a proxy that records their
 * request headers, and must read the feed's items. What each sent must be a
 * row of tests/accept/clients.json that gets the feed, so the table the
 * HTTP tests run is what these clients really send.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/entry/server";
import { startSeededServer, type SeededServer } from "./support/seeded-server";
import { rssParser } from "./support/feeds";

const run = promisify(execFile);
const NEWSBOAT = process.env.NEWSBOAT_PATH ?? "/usr/bin/newsboat";
const PYTHON = process.env.DEBIAN_PYTHON ?? "/usr/bin/python3";
const CURL = "/usr/bin/curl";
const feedparser = await run(PYTHON, ["-c", "import feedparser"]).then(
  () => true,
  () => false,
);
const peers = existsSync(NEWSBOAT) && existsSync(CURL) && feedparser;
if (process.env.CI && !peers) throw new Error(`CI is set but newsboat, curl or ${PYTHON} with feedparser is missing: the reader tests must run in CI`);

const TITLES = ["Ukraine soll Korruptionskontrollen ausgehöhlt haben", "Ukraine-Verhandlungen in Alaska? Trump will Putin empfangen"];
const { clients } = JSON.parse(readFileSync(join(import.meta.dirname, "accept", "clients.json"), "utf8")) as {
  clients: { client: string; accept: string | null; gets: "feed" | "page" }[];
};

describe.skipIf(!peers)(`feed readers get the feed at a feed URL${peers ? "" : " (newsboat, curl or feedparser missing)"}`, () => {
  let server: RunningServer;
  let seeded: SeededServer | undefined;
  let proxy: Server;
  let proxyUrl: string;
  let scratch: string;
  /** The Accept header of each request through the proxy, null where there was none. */
  const seen: (string | null)[] = [];

  beforeAll(async () => {
    seeded = await startSeededServer();
    ({ server } = seeded);
    proxy = createServer(async (req, res) => {
      seen.push(req.headers.accept ?? null);
      const headers: Record<string, string> = {};
      if (req.headers.accept) headers.accept = req.headers.accept;
      const answer = await fetch(`${server.url}${req.url}`, { headers });
      res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "", vary: answer.headers.get("vary") ?? "" });
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
    await new Promise<void>((done) => proxy.listen(0, "127.0.0.1", done));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    scratch = mkdtempSync(join(tmpdir(), "feedwerk-readers-"));
  });
  afterAll(async () => {
    await new Promise((done) => proxy?.close(done));
    await seeded?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** The Accept of the last request, which must be a row of the table that gets the feed. */
  function lastAcceptIsAFeedRow(reader: string): void {
    const accept = seen.at(-1);
    expect(accept, reader).not.toBeUndefined();
    const row = clients.find((c) => c.accept === accept);
    expect(row, `${reader} sent Accept ${JSON.stringify(accept)}, which tests/accept/clients.json does not list`).toBeDefined();
    expect(row!.gets, reader).toBe("feed");
  }

  it.each(["xml", "atom"])("rss-parser reads the %s feed", async (format) => {
    const feed = await rssParser.parseURL(`${proxyUrl}/feeds/ukraine.${format}`);
    expect(feed.items.map((i) => i.title)).toEqual(TITLES);
    lastAcceptIsAFeedRow("rss-parser");
  });

  it.each(["xml", "atom"])("curl without Accept of its own fetches the %s feed's bytes", async (format) => {
    const { stdout } = await run(CURL, ["-s", "-w", "\n%{content_type}", `${proxyUrl}/feeds/ukraine.${format}`], { timeout: 30_000 });
    const type = stdout.slice(stdout.lastIndexOf("\n") + 1);
    expect(type).toBe(format === "xml" ? "application/rss+xml; charset=utf-8" : "application/atom+xml; charset=utf-8");
    const feed = await rssParser.parseString(stdout.slice(0, stdout.lastIndexOf("\n")));
    expect(feed.items.map((i) => i.title)).toEqual(TITLES);
    lastAcceptIsAFeedRow("curl");
  });

  it.each(["xml", "atom"])("newsboat reads the %s feed", async (format) => {
    const home = join(scratch, `newsboat-${format}`);
    const cache = join(home, "cache.db");
    const urls = join(home, "urls");
    const feedUrl = `${proxyUrl}/feeds/ukraine.${format}`;
    await run("mkdir", ["-p", home]);
    writeFileSync(urls, `${feedUrl}\n`);
    const env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      XDG_CONFIG_HOME: join(home, ".config"),
      XDG_DATA_HOME: join(home, ".local/share"),
      LANG: "C.UTF-8",
    };
    await run(NEWSBOAT, ["-u", urls, "-c", cache, "-C", "/dev/null", "-x", "reload"], { env, timeout: 60_000 });
    const read = `import json, sqlite3, sys
print(json.dumps([t for (t,) in sqlite3.connect(sys.argv[1]).execute("select title from rss_item where feedurl = ? order by pubDate desc", (sys.argv[2],))]))`;
    const { stdout } = await run(PYTHON, ["-c", read, cache, feedUrl], { timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual(TITLES);
    lastAcceptIsAFeedRow("newsboat");
  });

  it.each(["xml", "atom"])("Python's feedparser reads the %s feed", async (format) => {
    const read = `import json, sys, feedparser
d = feedparser.parse(sys.argv[1])
print(json.dumps({"version": d.version, "titles": [e.title for e in d.entries]}))`;
    const { stdout } = await run(PYTHON, ["-c", read, `${proxyUrl}/feeds/ukraine.${format}`], { timeout: 60_000 });
    const parsed = JSON.parse(stdout) as { version: string; titles: string[] };
    expect(parsed).toEqual({ version: format === "xml" ? "rss20" : "atom10", titles: TITLES });
    lastAcceptIsAFeedRow("feedparser");
  });
});
