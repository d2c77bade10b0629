/**
 * `npm run bench:read-feeds`: the processor time of reading alone, bytes to items
 * (readFeedDocument, then feedEntries), on the aggregate benchmark's feeds (300 RSS feeds of 50
 * entries, agg_bench_feeds.py) and on the test fixtures (tests/feeds), each file read ROUNDS times
 * after a warm-up. No database, no network: what a pass spends per document before storing it.
 * READ_SRC points at another checkout's src/ to measure it in the same way (before and after).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const src = resolve(process.env.READ_SRC ?? join(root, "src"));
const ROUNDS = Number(process.env.READ_ROUNDS ?? 3);
const FEEDS = Number(process.env.READ_FEEDS ?? 300);

const { readFeedDocument } = (await import(pathToFileURL(join(src, "input/feed/read-feed.ts")).href)) as typeof import("../src/input/feed/read-feed");
const { feedEntries } = (await import(pathToFileURL(join(src, "input/feed/to-items.ts")).href)) as typeof import("../src/input/feed/to-items");

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

const fetchedAt = new Date("2026-11-02T00:00:00Z");
async function readAll(files: { name: string; bytes: Uint8Array }[]): Promise<number> {
  let items = 0;
  for (const { name, bytes } of files) {
    try {
      const feed = await readFeedDocument(bytes, null);
      items += feedEntries(feed, name, `https://feeds.example.net/${name}`, fetchedAt).items.length;
    } catch {
      // a fixture that is meant not to be read costs its reading too
    }
  }
  return items;
}

console.log(`reading with ${src}; load average ${loadavg()[0]!.toFixed(2)}`);
for (const { label, files } of sets) {
  await readAll(files);
  let items = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let round = 0; round < ROUNDS; round++) items += await readAll(files);
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - started;
  const perDocument = (used.user + used.system) / 1000 / (files.length * ROUNDS);
  console.log(
    `${label}: ${perDocument.toFixed(2)} ms of processor time per document, ${((used.user + used.system) / items).toFixed(1)} µs per item (wall ${(wall / (files.length * ROUNDS)).toFixed(2)} ms)`,
  );
}
