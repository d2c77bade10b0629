/**
 * Real readers of feedwerk's podcast feeds, from a real listening server:
 * newsboat (a C++ feed reader that plays podcasts) and Python's feedparser,
 * both Debian's packages. newsboat keeps one playable file per item (its
 * cache has no room for more); feedparser must find every file, its type and
 * its length. The W3C Feed Validation Service's code (../shared/validators)
 * judges the same feeds. Under CI a missing reader or validator fails the run
 * instead of skipping.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../src/entry/server";
import type { Enclosure, Media } from "../src/normalise/item";
import type { OpenDatabase } from "../src/storage/open";
import { backends } from "./support/databases";
import { expectedMedia, pollPodcasts, serveFeeds, type FeedServer } from "./support/podcasts";

const run = promisify(execFile);
const NEWSBOAT = process.env.NEWSBOAT_PATH ?? "/usr/bin/newsboat";
/** Debian's Python, where python3-feedparser installs (not whatever python3 comes first on the PATH). */
const PYTHON = process.env.DEBIAN_PYTHON ?? "/usr/bin/python3";
const OCTET = "application/octet-stream";

async function pythonHas(module: string): Promise<boolean> {
  try {
    await run(PYTHON, ["-c", `import ${module}`]);
    return true;
  } catch {
    return false;
  }
}
/** Beside the repository, as for every checkout of it (read-only reference material). */
const W3C_VALIDATE = join(import.meta.dirname, "..", "..", "shared", "validators", "w3c-validate");
const newsboat = existsSync(NEWSBOAT);
const feedparser = await pythonHas("feedparser");
const w3c = existsSync(W3C_VALIDATE) && (await pythonHas("lxml, html5lib, rdflib"));
if (process.env.CI && !newsboat) throw new Error(`CI is set but there is no newsboat at ${NEWSBOAT}: the podcast peer tests must run in CI`);
if (process.env.CI && !feedparser) throw new Error(`CI is set but ${PYTHON} cannot import feedparser: the podcast peer tests must run in CI`);
if (process.env.CI && !w3c)
  throw new Error(`CI is set but ${W3C_VALIDATE} or its Python modules (lxml, html5lib, rdflib) are missing: the W3C validator test must run in CI`);

const playable = (e: Enclosure) => /^(audio|video)\//.test(e.type ?? "");
const mainOf = (media: Media) => media.enclosures.find(playable) ?? media.enclosures[0];

let feeds: FeedServer;
let db: OpenDatabase;
let server: RunningServer;
let expected: Map<string, Media>;
let scratch: string;
beforeAll(async () => {
  if (!newsboat && !feedparser && !w3c) return;
  feeds = await serveFeeds();
  db = await backends[0]!.open();
  await pollPodcasts(db.db, feeds);
  expected = expectedMedia(feeds.url);
  server = await startServer(db.db, { port: 0, hostname: "127.0.0.1" });
  scratch = mkdtempSync(join(tmpdir(), "feedwerk-peers-"));
});
afterAll(async () => {
  await server?.close();
  await db?.close();
  await feeds?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

interface NewsboatItem {
  title: string;
  url: string;
  type: string;
}

/** One `newsboat -x reload` of one feed into a cache of its own (newsboat folds items of one guid across feeds), read back with Python's sqlite3. */
async function newsboatRead(feedUrl: string, name: string): Promise<NewsboatItem[]> {
  const home = join(scratch, `newsboat-${name}`);
  const cache = join(home, "cache.db");
  const urls = join(home, "urls");
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
rows = sqlite3.connect(sys.argv[1]).execute("select title, enclosure_url, enclosure_type from rss_item where feedurl = ?", (sys.argv[2],))
print(json.dumps([{"title": t, "url": u, "type": ty} for t, u, ty in rows]))`;
  const { stdout } = await run(PYTHON, ["-c", read, cache, feedUrl], { timeout: 30_000 });
  return JSON.parse(stdout) as NewsboatItem[];
}

describe.skipIf(!newsboat)(`newsboat reads feedwerk's podcast feeds${newsboat ? "" : ` (no newsboat at ${NEWSBOAT})`}`, () => {
  it.each(["xml", "atom"])("finds a playable file of every episode in the %s feed", async (format) => {
    const items = await newsboatRead(`${server.url}/feeds/podcast.${format}`, format);
    expect(items).toHaveLength(11);
    for (const item of items) {
      const files = expected.get(item.title)?.enclosures.filter(playable) ?? [];
      // newsboat keeps audio and video only, one per item
      if (!files.length) expect([item.title, item.url]).toEqual([item.title, ""]);
      else
        expect(
          files.map((e) => [e.url, e.type]),
          item.title,
        ).toContainEqual([item.url, item.type]);
      if (files.length === 1) expect([item.url, item.type], item.title).toEqual([files[0]!.url, files[0]!.type]);
    }
    expect(items.filter((i) => i.url).length).toBe([...expected.values()].filter((m) => m.enclosures.some(playable)).length);
  });
});

interface ParsedEntry {
  title: string;
  enclosures: Record<string, string>[];
  media_content: Record<string, string>[];
  media_thumbnail: Record<string, string>[];
  itunes_duration: string | null;
}

async function feedparserRead(feedUrl: string): Promise<{ version: string; bozo: boolean; entries: ParsedEntry[] }> {
  const read = `import json, sys, feedparser
d = feedparser.parse(sys.argv[1])
print(json.dumps({"version": d.version, "bozo": bool(d.bozo), "entries": [{
  "title": e.get("title"),
  "enclosures": [dict(x) for x in e.get("enclosures", [])],
  "media_content": [dict(x) for x in e.get("media_content", [])],
  "media_thumbnail": [dict(x) for x in e.get("media_thumbnail", [])],
  "itunes_duration": e.get("itunes_duration"),
} for e in d.entries]}))`;
  const { stdout } = await run(PYTHON, ["-c", read, feedUrl], { timeout: 60_000 });
  return JSON.parse(stdout) as { version: string; bozo: boolean; entries: ParsedEntry[] };
}

const defined = (o: Record<string, string | undefined>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

describe.skipIf(!feedparser)(`feedparser reads feedwerk's podcast feeds${feedparser ? "" : ` (${PYTHON} has no feedparser)`}`, () => {
  it("finds every file in the RSS feed: the enclosure, its duration and the others as media:content", async () => {
    const feed = await feedparserRead(`${server.url}/feeds/podcast.xml`);
    expect([feed.version, feed.bozo]).toEqual(["rss20", false]);
    expect(feed.entries).toHaveLength(11);
    for (const entry of feed.entries) {
      const want = expected.get(entry.title);
      const main = want && mainOf(want);
      expect(entry.enclosures, entry.title).toEqual(main ? [{ href: main.url, type: main.type ?? OCTET, length: String(main.length ?? 0) }] : []);
      expect(entry.itunes_duration, entry.title).toBeNull();
      const others = want?.enclosures.filter((e) => e !== main || e.durationSeconds != null) ?? [];
      // feedparser lower-cases attribute names (fileSize)
      expect(entry.media_content, entry.title).toEqual(
        others.map((e) => defined({ url: e.url, type: e.type ?? undefined, filesize: e.length?.toString(), duration: e.durationSeconds?.toString() })),
      );
      const t = want?.thumbnail;
      expect(entry.media_thumbnail, entry.title).toEqual(t ? [defined({ url: t.url, width: t.width?.toString(), height: t.height?.toString() })] : []);
    }
  });

  it("finds every file in the Atom feed, with type, length and title", async () => {
    const feed = await feedparserRead(`${server.url}/feeds/podcast.atom`);
    expect([feed.version, feed.bozo]).toEqual(["atom10", false]);
    expect(feed.entries).toHaveLength(11);
    for (const entry of feed.entries) {
      const want = expected.get(entry.title);
      expect(entry.enclosures, entry.title).toEqual(
        (want?.enclosures ?? []).map((e) => defined({ href: e.url, type: e.type ?? OCTET, length: e.length?.toString(), title: e.title ?? undefined })),
      );
      expect(
        entry.media_thumbnail.map((t) => t.url),
        entry.title,
      ).toEqual(want?.thumbnail ? [want.thumbnail.url] : []);
    }
  });
});

describe.skipIf(!w3c)(`the W3C Feed Validation Service's code on feedwerk's podcast feeds${w3c ? "" : " (validator or its Python modules missing)"}`, () => {
  it.each(["xml", "atom"])("finds no error and no warning in the %s feed", async (format) => {
    const url = `${server.url}/feeds/podcast.${format}`;
    const file = join(scratch, `podcast.${format}`);
    writeFileSync(file, await (await fetch(url)).text());
    // exit 0: nothing to say; 1: warnings only; 2: errors
    const result = await run(W3C_VALIDATE, [file, url], { timeout: 120_000 }).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (e: { code?: number; stdout?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? "" }),
    );
    const events = result.stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => line.split("\t"));
    expect(result.code, result.stdout).toBe(0);
    expect(
      events.filter(([level]) => level !== "INFO"),
      result.stdout,
    ).toEqual([]);
  });
});
