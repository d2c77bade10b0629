/**
 * Real readers of feedwerk's podcast feeds, from a real listening server:
 * newsboat (a C++ feed reader that plays podcasts) and Python's feedparser,
 * both Debian's packages. newsboat keeps one playable file per item (its
 * cache has no room for more); feedparser must find every file, its type and
 * its length. The W3C Feed Validation Service's code (../shared/validators)
 * judges the same feeds. Under CI a missing reader or validator fails the run
 * instead of skipping.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../src/entry/node/server";
import type { Enclosure, Media } from "../src/normalise/item";
import { backends, databaseForSuite } from "./support/databases";
import { expectedMedia, pollPodcasts, serveFeeds, type FeedServer } from "./support/podcasts";
import {
  feedparserAvailable as feedparser,
  feedparserRead,
  NEWSBOAT,
  newsboatAvailable as newsboat,
  newsboatRead,
  PYTHON,
  pythonHas,
  run,
} from "./support/readers";

const OCTET = "application/octet-stream";

/** Beside the repository, as for every checkout of it (read-only reference material). */
const W3C_VALIDATE = join(import.meta.dirname, "..", "..", "shared", "validators", "w3c-validate");
const w3c = existsSync(W3C_VALIDATE) && (await pythonHas("lxml, html5lib, rdflib"));
if (process.env.CI && !newsboat) throw new Error(`CI is set but there is no newsboat at ${NEWSBOAT}: the podcast peer tests must run in CI`);
if (process.env.CI && !feedparser) throw new Error(`CI is set but ${PYTHON} cannot import feedparser: the podcast peer tests must run in CI`);
if (process.env.CI && !w3c)
  throw new Error(`CI is set but ${W3C_VALIDATE} or its Python modules (lxml, html5lib, rdflib) are missing: the W3C validator test must run in CI`);

const playable = (e: Enclosure) => /^(audio|video)\//.test(e.type ?? "");
const mainOf = (media: Media) => media.enclosures.find(playable) ?? media.enclosures[0];

const db = databaseForSuite(backends[0]!);
let feeds: FeedServer;
let server: RunningServer;
let expected: Map<string, Media>;
let scratch: string;
beforeAll(async () => {
  if (!newsboat && !feedparser && !w3c) return;
  feeds = await serveFeeds();
  await pollPodcasts(db.db, feeds);
  expected = expectedMedia(feeds.url);
  server = await startServer(db.db, { port: 0, hostname: "127.0.0.1" });
  scratch = mkdtempSync(join(tmpdir(), "feedwerk-peers-"));
});
afterAll(async () => {
  await server?.close();
  await feeds?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe.skipIf(!newsboat)(`newsboat reads feedwerk's podcast feeds${newsboat ? "" : ` (no newsboat at ${NEWSBOAT})`}`, () => {
  it.each(["xml", "atom"])("finds a playable file of every episode in the %s feed", async (format) => {
    const items = await newsboatRead(`${server.url}/feeds/podcast.${format}`);
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
