/**
 * `npm run bench:read-feeds`: the processor time of reading alone, bytes to items (the pass's
 * reader: readFeedDocument, feedEntries, the body's hash), on the aggregate benchmark's feeds
 * (300 RSS feeds of 50 entries, agg_bench_feeds.py) and on the test fixtures (tests/feeds), each
 * file read READ_ROUNDS times after a warm-up. No database, no network, no threads: what a pass
 * spends per document before storing it. READ_BASELINE=path/to/other/checkout/src reads with that
 * checkout's reader too, in turns in the same process, and prints the ratio. On Linux, reading
 * through the feed-reading pool (src/entry/node/feed-reading.ts, 8 documents in flight)
 * is measured too: the main thread's processor time (from /proc), which is what the pass's own
 * thread still spends per document, and the whole process's.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { FeedReadingPool } from "../src/entry/node/feed-reading";

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
  // few and small: below what /proc's clock ticks (10 ms) can tell on the main thread
  { label: "test fixtures (tests/feeds)", files: filesOf(join(root, "tests", "feeds"), /\.(xml|json)$/), inOneThread: true },
];
rmSync(generated, { recursive: true, force: true });

interface Reader {
  label: string;
  read: Read;
  /** Documents read at once. */
  inFlight?: number;
  /** Processor time so far, in ms, of what this reader's figure counts (default: the whole process). */
  clock?: () => number;
}

const processTime = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const allReaders: Reader[] = [{ label: "this checkout", read: await readerOf(join(root, "src")) }];
if (process.env.READ_BASELINE) allReaders.push({ label: `baseline (${process.env.READ_BASELINE})`, read: await readerOf(resolve(process.env.READ_BASELINE)) });
const pool = process.platform === "linux" ? new FeedReadingPool() : null;
if (pool) {
  const fetchedAt = new Date("2026-11-02T00:00:00Z");
  const read: Read = async (bytes, name) =>
    (await pool.read({ bytes, contentType: null, namespace: name, url: `https://feeds.example.net/${name}`, fetchedAt })).entries!.items.length;
  // utime and stime of the main thread, in clock ticks (USER_HZ, 100 a second on Linux)
  const mainThread = () => {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  };
  allReaders.push({ label: `this checkout on the pool (${pool.size} thread(s)), the main thread`, read, inFlight: 8, clock: mainThread });
  allReaders.push({ label: `this checkout on the pool (${pool.size} thread(s)), the whole process`, read, inFlight: 8 });
}

/** Processor time (ms) and items of reading every file once. */
async function readAll(
  { read, inFlight = 1, clock = processTime }: Reader,
  files: { name: string; bytes: Uint8Array }[],
): Promise<{ ms: number; items: number }> {
  let items = 0;
  const started = clock();
  let next = 0;
  const worker = async () => {
    for (let n = next++; n < files.length; n = next++) {
      try {
        const count = await read(files[n]!.bytes, files[n]!.name);
        items += count;
      } catch {
        // a fixture that is meant not to be read costs its reading too
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { ms: clock() - started, items };
}

console.log(`load average ${loadavg()[0]!.toFixed(2)}; processor time per document, median of ${ROUNDS} rounds taken in turns`);
for (const { label, files, inOneThread } of sets) {
  const readers = inOneThread ? allReaders.filter((r) => !r.inFlight) : allReaders;
  for (const r of readers) await readAll(r, files);
  const rounds = readers.map(() => [] as { ms: number; items: number }[]);
  for (let round = 0; round < ROUNDS; round++) for (const [n, r] of readers.entries()) rounds[n]!.push(await readAll(r, files));
  const medians = rounds.map((runs) => [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)]!);
  console.log(label);
  for (const [n, r] of readers.entries()) {
    const { ms, items } = medians[n]!;
    const ratio = n === 0 ? "" : `  (${(ms / medians[0]!.ms).toFixed(2)} × this checkout's time in one thread)`;
    console.log(`  ${r.label}: ${(ms / files.length).toFixed(2)} ms per document, ${((ms * 1000) / items).toFixed(1)} µs per item${ratio}`);
  }
}
await pool?.close();
