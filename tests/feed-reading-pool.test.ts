/**
 * Reading feeds on worker threads (src/entry/node/feed-reading.ts) gives what
 * reading in the pass's own thread gives: the same items, Dates and Maps
 * included, for every fixture of tests/feeds; the same errors for documents
 * that cannot be read, through a whole polling pass on both backends; a
 * thread that dies, or reads one document too long, fails that document
 * with a clear error and is replaced;
 * and an idle pool keeps no process alive.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FeedReadingPool } from "../src/entry/node/feed-reading";
import { FeedFormatError } from "../src/input/feed/errors";
import { readFetchedFeed, type FetchedFeed, type ReadFeed } from "../src/input/feed/reader";
import { addFeedSource, findFeedSource } from "../src/storage/sources";
import { ROOT } from "./support/cli";
import { collectPoll, forEachPollingDatabase } from "./support/polling";

const dir = join(import.meta.dirname, "feeds");
const fixtures = readdirSync(dir).filter((f) => /\.(xml|json)$/.test(f) && !f.endsWith(".expected.json"));
const fetchedAt = new Date("2025-12-10T12:00:00Z");
const documentOf = (name: string, bytes: Uint8Array = new Uint8Array(readFileSync(join(dir, name)))): FetchedFeed => ({
  bytes,
  contentType: null,
  namespace: name,
  url: `https://feeds.example.net/${name}`,
  fetchedAt,
});
const HOPELESS = '<rss version="2.0"><channel><title>x & y</title></chan';
const encoded = (text: string) => new TextEncoder().encode(text);

/** What reading gives, or the error it fails with (class, name and message). */
async function outcome(read: Promise<ReadFeed>): Promise<ReadFeed | { error: string; name: string; isFeedFormatError: boolean }> {
  try {
    return await read;
  } catch (error) {
    const e = error as Error;
    return { error: e.message, name: e.name, isFeedFormatError: e instanceof FeedFormatError };
  }
}

describe("the feed-reading pool", () => {
  const pool = new FeedReadingPool({ size: 2 });
  afterAll(() => pool.close());

  it("reads every fixture into exactly what reading in this thread gives", async () => {
    expect(fixtures.length).toBeGreaterThan(30);
    const [threaded, here] = await Promise.all([
      Promise.all(fixtures.map((name) => outcome(pool.read(documentOf(name))))),
      Promise.all(fixtures.map((name) => outcome(readFetchedFeed(documentOf(name))))),
    ]);
    expect(threaded).toStrictEqual(here);
    // the structured clone kept the types, not only the values toStrictEqual compares
    const read = threaded.filter((r): r is ReadFeed => "sha256" in r && r.entries !== null);
    expect(read.length).toBe(fixtures.length);
    const items = read.flatMap((r) => r.entries!.items);
    expect(items.filter((i) => i.publishedAt !== null).length).toBeGreaterThan(50);
    for (const item of items) if (item.publishedAt !== null) expect(item.publishedAt).toBeInstanceOf(Date);
    for (const r of read) expect(r.entries!.entryKeys).toBeInstanceOf(Map);
    expect(pool.threadCount).toBe(2);
  });

  it("skips the items of a body it was told is stored already, as in this thread", async () => {
    const first = await pool.read(documentOf("rss2.xml"));
    const again = await pool.read({ ...documentOf("rss2.xml"), knownSha256: first.sha256 });
    expect(again).toStrictEqual({ ...first, entries: null });
    expect(again).toStrictEqual(await readFetchedFeed({ ...documentOf("rss2.xml"), knownSha256: first.sha256 }));
  });

  it("fails a document that cannot be read with the error reading it here fails with", async () => {
    for (const text of [HOPELESS, "", "plain text", '{"version": "https://jsonfeed.org/version/1.1"}']) {
      const here = await outcome(readFetchedFeed(documentOf("x.xml", encoded(text))));
      expect(here, text).toMatchObject({ isFeedFormatError: true });
      expect(await outcome(pool.read(documentOf("x.xml", encoded(text)))), text).toStrictEqual(here);
    }
  });

  it("fails the document of a thread that dies with a clear error, and reads on with a new thread", async () => {
    const crashing = new FeedReadingPool({ size: 1, module: new URL("./support/crashing-reading-thread.ts", import.meta.url) });
    try {
      const before = await crashing.read(documentOf("atom.xml"));
      const [crashed, after] = await Promise.all([
        outcome(crashing.read(documentOf("x.xml", encoded("<rss><!-- CRASH --></rss>")))),
        // queued behind the document that kills the thread
        crashing.read(documentOf("atom.xml")),
      ]);
      expect(crashed).toStrictEqual({ error: "the thread reading this document stopped: it exited with code 7", name: "Error", isFeedFormatError: false });
      expect(after).toStrictEqual(before);
      expect(crashing.threadCount).toBe(1);
    } finally {
      await crashing.close();
    }
    await expect(crashing.read(documentOf("atom.xml"))).rejects.toThrow("the feed-reading pool is closed");
  });

  it("stops a thread still reading one document after its time, fails that document, and reads on", async () => {
    const hanging = new FeedReadingPool({ size: 1, module: new URL("./support/crashing-reading-thread.ts", import.meta.url), timeoutMs: 3_000 });
    try {
      const before = await hanging.read(documentOf("atom.xml"));
      const started = Date.now();
      const [hung, after] = await Promise.all([
        outcome(hanging.read(documentOf("x.xml", encoded("<rss><!-- HANG --></rss>")))),
        hanging.read(documentOf("atom.xml")),
      ]);
      expect(hung).toStrictEqual({ error: "reading this document took longer than 3 s: its thread was stopped", name: "Error", isFeedFormatError: false });
      expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
      expect(after).toStrictEqual(before);
    } finally {
      await hanging.close();
    }
  });

  it("starts one thread ahead with warm(), which reads the first document; warmed and given nothing, it keeps no process alive", () => {
    const script = `
      import { FeedReadingPool } from "./src/entry/node/feed-reading.ts";
      const idle = new FeedReadingPool({ size: 2 });
      idle.warm();
      idle.warm();
      const pool = new FeedReadingPool({ size: 2 });
      pool.warm();
      const before = pool.threadCount;
      const bytes = new TextEncoder().encode('<rss version="2.0"><channel><item><title>t</title></item></channel></rss>');
      const read = await pool.read({ bytes, contentType: null, namespace: "n", url: "https://x.example/f", fetchedAt: new Date() });
      console.log(idle.threadCount, before, read.entries.items[0].title, pool.threadCount);
    `;
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
    expect(run.stderr).toBe("");
    // one thread each, however often warmed; the warm one read the document, no second was started for it
    expect(run.stdout.trim()).toBe("1 1 t 1");
    expect(run.status).toBe(0);
  });

  it("keeps no process alive once its documents are read, closed or not", () => {
    const script = `
      import { FeedReadingPool } from "./src/entry/node/feed-reading.ts";
      const pool = new FeedReadingPool({ size: 2 });
      const bytes = new TextEncoder().encode('<rss version="2.0"><channel><item><title>t</title></item></channel></rss>');
      const read = await Promise.all([1, 2, 3].map(() => pool.read({ bytes, contentType: null, namespace: "n", url: "https://x.example/f", fetchedAt: new Date() })));
      console.log(read.map((r) => r.entries.items[0].title).join(" "), pool.threadCount);
    `;
    const started = Date.now();
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toBe("t t t 2");
    expect(run.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const rss = { "content-type": "application/rss+xml" };
    if (req.url === "/broken.xml") return res.writeHead(200, rss).end(readFileSync(join(dir, "broken-ampersand.xml")));
    if (req.url === "/hopeless.xml") return res.writeHead(200, rss).end(HOPELESS);
    if (req.url === "/sound.xml") return res.writeHead(200, rss).end(readFileSync(join(dir, "rss2.xml")));
    return res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

forEachPollingDatabase("a polling pass reading on threads,", (db, fetcher) => {
  const pool = new FeedReadingPool({ size: 2 });
  afterAll(() => pool.close());

  it("stores, warns and fails as a pass reading in its own thread does", async () => {
    const names = ["broken", "hopeless", "sound"];
    for (const name of names) await addFeedSource(db.db, { url: `${base}/${name}.xml`, name });
    const options = { now: () => fetchedAt, random: () => 0.5, all: true };
    const threaded = await collectPoll(db.db, fetcher, { ...options, reader: pool.read });
    // the documents went to the pool's threads, not to a reader in this one
    expect(pool.threadCount).toBeGreaterThan(0);
    const state = async () => Promise.all(names.map(async (name) => (await findFeedSource(db.db, name))!));
    const stored = await state();
    const result = (name: string) => threaded.find((r) => r.source.name === name)!;
    expect(result("hopeless")).toMatchObject({
      outcome: "failed",
      error: "not a readable RSS or Atom feed: unescaped & at line 1, and no entry could be recovered",
    });
    expect(result("broken")).toMatchObject({ outcome: "stored", report: { new: 2 } });
    expect(result("sound")).toMatchObject({ outcome: "stored", report: { new: 2 } });
    expect(stored.map((s) => [s.lastStatus, s.lastError, s.parseWarning])).toEqual([
      ["ok", null, "unescaped & at line 7"],
      ["failed", "not a readable RSS or Atom feed: unescaped & at line 1, and no entry could be recovered", null],
      ["ok", null, null],
    ]);

    // the same bodies again, read in this thread: nothing new, and the same state but the error count
    const here = await collectPoll(db.db, fetcher, { ...options, now: () => new Date(fetchedAt.getTime() + 1000) });
    expect(here.map((r) => [r.source.name, r.outcome, r.error ?? null]).sort()).toEqual(
      threaded.map((r) => [r.source.name, r.outcome === "stored" ? "not modified" : r.outcome, r.error ?? null]).sort(),
    );
  });
});
