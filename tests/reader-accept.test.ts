/**
 * Real feed readers at a feed URL get the feed, whatever Accept they send:
 * rss-parser, curl, newsboat and Python's feedparser (Debian's packages)
 * fetch /feeds/ukraine.xml and .atom through a proxy that records their
 * request headers, and must read the feed's items. What each sent must be a
 * row of tests/accept/clients.json that gets the feed, so the table the
 * HTTP tests run is what these clients really send.
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/entry/node/server";
import { startSeededServer, type SeededServer } from "./support/seeded-server";
import { rssParser } from "./support/feeds";
import { feedparserAvailable, feedparserRead, newsboatAvailable, newsboatRead, PYTHON, run } from "./support/readers";

const CURL = "/usr/bin/curl";
const peers = newsboatAvailable && existsSync(CURL) && feedparserAvailable;
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
  });
  afterAll(async () => {
    await new Promise((done) => proxy?.close(done));
    await seeded?.close();
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
    const items = await newsboatRead(`${proxyUrl}/feeds/ukraine.${format}`);
    expect(items.map((i) => i.title)).toEqual(TITLES);
    lastAcceptIsAFeedRow("newsboat");
  });

  it.each(["xml", "atom"])("Python's feedparser reads the %s feed", async (format) => {
    const parsed = await feedparserRead(`${proxyUrl}/feeds/ukraine.${format}`);
    expect({ version: parsed.version, titles: parsed.entries.map((e) => e.title) }).toEqual({ version: format === "xml" ? "rss20" : "atom10", titles: TITLES });
    lastAcceptIsAFeedRow("feedparser");
  });
});
