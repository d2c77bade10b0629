/**
 * The podcast and Media RSS fixtures of tests/feeds served from a local
 * HTTP server, polled into a database under the tag "podcast", and the
 * media their NAME.expected.json says each episode carries.
 */
import { createServer, type Server } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AddressPolicy } from "../../src/input/fetch/address-policy";
import { DEFAULT_LIMITS, FeedFetcher } from "../../src/input/fetch/http-fetch";
import type { Media } from "../../src/normalise/item";
import type { PollResult } from "../../src/pipeline/poll-feeds";
import { collectPoll } from "./polling";
import type { Database } from "../../src/storage/database";
import { addFeedSource, findFeedSource } from "../../src/storage/sources";

const feeds = join(import.meta.dirname, "..", "feeds");
export const PODCAST_FEEDS = ["podcast.xml", "podcast-atom.xml", "podcast-jsonfeed.json", "mediarss.xml"];
/** The reader's expectations resolve relative URLs against this base (tests/feed-reader.test.ts). */
const EXPECTED_BASE = "https://feeds.example.net/";

export interface FeedServer {
  url: string;
  /** Replaces what a path answers (a feed that changes between polls). */
  serve(path: string, body: string): void;
  close(): Promise<void>;
}

export async function serveFeeds(): Promise<FeedServer> {
  const extra = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").slice(1);
    if (extra.has(path)) return res.writeHead(200, { "content-type": "application/rss+xml" }).end(extra.get(path));
    if (!PODCAST_FEEDS.includes(path)) return res.writeHead(404).end();
    const type = path.endsWith(".json") ? "application/feed+json" : path.includes("atom") ? "application/atom+xml" : "application/rss+xml";
    res.writeHead(200, { "content-type": type }).end(readFileSync(join(feeds, path)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    serve: (path, body) => void extra.set(path, body),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Follows `paths` of the server (those not followed yet) with the tag "Podcast" and polls every followed feed once. */
export async function pollPodcasts(db: Database, server: FeedServer, paths = PODCAST_FEEDS, now = new Date("2025-12-10T12:00:00Z")): Promise<PollResult[]> {
  const fetcher = new FeedFetcher(new AddressPolicy(["127.0.0.1"]), { ...DEFAULT_LIMITS, totalTimeoutMs: 5_000 });
  try {
    for (const path of paths) {
      const url = `${server.url}/${path}`;
      if (!(await findFeedSource(db, url))) await addFeedSource(db, { url, tags: ["Podcast"] });
    }
    return await collectPoll(db, fetcher, { all: true, now: () => now });
  } finally {
    await fetcher.close();
  }
}

/** Title → media of every episode of the fixtures that has any, its URLs as read from `serverUrl`. */
export function expectedMedia(serverUrl: string): Map<string, Media> {
  const out = new Map<string, Media>();
  for (const feed of PODCAST_FEEDS) {
    const file = feed.replace(/\.(xml|json)$/, ".expected.json");
    const text = readFileSync(join(feeds, file), "utf8").replaceAll(EXPECTED_BASE, `${serverUrl}/`);
    const expected = JSON.parse(text) as { items: { title: string; media?: Media }[] };
    for (const item of expected.items) if (item.media) out.set(item.title, item.media);
  }
  return out;
}
