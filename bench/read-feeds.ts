/**
 * `npm run bench:read-feeds`: the processor time of reading alone, bytes to items (the pass's
 * reader: readFeedDocument, feedEntries, the body's hash), on the aggregate benchmark's feeds
 * (300 RSS feeds of 50 entries, agg_bench_feeds.py) and on the test fixtures (tests/feeds), each
 * file read READ_ROUNDS times after a warm-up. No database, no network, no threads: what a pass
 * spends per document before storing it. READ_BASELINE=path/to/other/checkout/src reads with that
 * checkout's reader too, in turns in the same process, and prints the ratio.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const ROUNDS = Number(process.env.READ_ROUNDS ?? 5);
const FEEDS = Number(process.env.READ_FEEDS ?? 300);

type Read = (bytes: Uint8Array, name: string) => Promise<number>;

/** A checkout's reader: the pass's own where it has one, else its two steps, as the pass called them. */
async function readerOf(src: string): Promise<Read> {
  const fetchedAt = new Date("2026-11-02T00:00:00Z");
  const module = (path: string) => import(pathToFileURL(join(src, path)).href);
  if (existsSync(join(src, "input/feed/reader.ts"))) {
    const { readFetchedFeed } = (await module("input/feed/reader.ts")) as typeof import("../src/input/feed/reader");
    return async (bytes, name) =>
      (await readFetchedFeed({ bytes, contentType: null, namespace: name, url: `https://feeds.example.net/${name}`, fetchedAt })).entries!.items.length;
  }
  const { readFeedDocument } = (await module("input/feed/read-feed.ts")) as typeof import("../src/input/feed/read-feed");
  const { feedEntries } = (await module("input/feed/to-items.ts")) as typeof import("../src/input/feed/to-items");
  return async (bytes, name) => {
    const feed = await readFeedDocument(bytes, null);
    await crypto.subtle.digest("SHA-256", bytes);
    return feedEntries(feed, name, `https://feeds.example.net/${name}`, fetchedAt).items.length;
  };
}

function filesOf(dir: string, pattern: RegExp): { name: string; bytes: Uint8Array }[] {
  return readdirSync(dir)
    .filter((f) => pattern.test(f) && !f.endsWith(".expected.json"))
    .sort()
    .map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(join(dir, f))) }));
}

const generated = mkdtempSync(join(tmpdir(), "feedwerk-read-"));
const made = spawnSync("python3", [join(root, "..", "shared", "bench", "agg_bench_feeds.py"), generated, String(FEEDS), "50", "http://127.0.0.1:1"]);
if (made.status !== 0) throw new Error(`agg_bench_feeds.py failed: ${made.stderr}`);
const sets = [
  { label: `aggregate benchmark feeds (${FEEDS} × 50 entries)`, files: filesOf(join(generated, "f"), /\.xml$/) },
  { label: "test fixtures (tests/feeds)", files: filesOf(join(root, "tests", "feeds"), /\.(xml|json)$/) },
];
rmSync(generated, { recursive: true, force: true });

const readers = [{ label: "this checkout", read: await readerOf(join(root, "src")) }];
if (process.env.READ_BASELINE) readers.push({ label: `baseline (${process.env.READ_BASELINE})`, read: await readerOf(resolve(process.env.READ_BASELINE)) });

/** Processor time (ms) and items of reading every file once. */
async function readAll(read: Read, files: { name: string; bytes: Uint8Array }[]): Promise<{ ms: number; items: number }> {
  let items = 0;
  const cpu = process.cpuUsage();
  for (const { name, bytes } of files) {
    try {
      items += await read(bytes, name);
    } catch {
      // a fixture that is meant not to be read costs its reading too
    }
  }
  const used = process.cpuUsage(cpu);
  return { ms: (used.user + used.system) / 1000, items };
}

console.log(`load average ${loadavg()[0]!.toFixed(2)}; processor time per document, median of ${ROUNDS} rounds taken in turns`);
for (const { label, files } of sets) {
  for (const r of readers) await readAll(r.read, files);
  const rounds = readers.map(() => [] as { ms: number; items: number }[]);
  for (let round = 0; round < ROUNDS; round++) for (const [n, r] of readers.entries()) rounds[n]!.push(await readAll(r.read, files));
  const medians = rounds.map((runs) => [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)]!);
  console.log(label);
  for (const [n, r] of readers.entries()) {
    const { ms, items } = medians[n]!;
    const ratio = n === 0 ? "" : `  (this checkout takes ${(medians[0]!.ms / ms).toFixed(2)} × its time)`;
    console.log(`  ${r.label}: ${(ms / files.length).toFixed(2)} ms per document, ${((ms * 1000) / items).toFixed(1)} µs per item${ratio}`);
  }
}
