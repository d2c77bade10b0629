/**
 * `npm run bench:poll-memory`: the peak memory (RSS) of one polling pass over
 * 1,000 and 10,000 local feeds, each pass in a process of its own. The
 * baseline, measured in the same run, is such a process that opens the
 * database and the fetcher and polls nothing. For comparison, a pass that
 * keeps every feed's result (as passes did before they streamed them) over
 * the largest number of feeds. BENCH_DATABASE_URL=postgres://… for
 * PostgreSQL; BENCH_FEEDS=1000,10000 and BENCH_ENTRIES=10 change the sizes.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { AddressPolicy } from "../src/input/fetch/address-policy";
import { DEFAULT_LIMITS, FeedFetcher } from "../src/input/fetch/http-fetch";
import { FeedReadingPool } from "../src/entry/node/feed-reading";
import { pollFeeds, type PollResult } from "../src/pipeline/poll-feeds";
import { openDatabase, type OpenOptions } from "../src/storage/open";
import { sources } from "../src/storage/schema";
import { benchDatabase } from "./support/database";

const CONCURRENCY = 16;
type Mode = "idle" | "stream" | "collect";

interface Measured {
  mode: Mode;
  feeds: number;
  failed: number;
  seconds: number;
  peakRssMiB: number;
}

if (process.argv[2] === "--pass") {
  // the child: one pass, then its own peak RSS (getrusage's maxrss, in KiB on Linux)
  const [mode, target] = [process.argv[3] as Mode, JSON.parse(process.argv[4]!) as OpenOptions];
  const opened = await openDatabase(target);
  const fetcher = new FeedFetcher(new AddressPolicy(["127.0.0.1"]), { ...DEFAULT_LIMITS, perHost: CONCURRENCY });
  // read on threads, as fetch and serve --poll do: their heaps count in the process's peak
  const reading = new FeedReadingPool();
  const kept: PollResult[] = [];
  const t = performance.now();
  const summary =
    mode === "idle"
      ? null
      : await pollFeeds(opened.db, fetcher, {
          all: true,
          concurrency: CONCURRENCY,
          reader: reading.read,
          onDone: mode === "collect" ? (r) => kept.push(r) : undefined,
        });
  const seconds = (performance.now() - t) / 1000;
  await Promise.all([fetcher.close(), reading.close()]);
  await opened.close();
  const measured: Measured = { mode, feeds: summary?.feeds ?? 0, failed: summary?.failed ?? 0, seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`${JSON.stringify(measured)}\n`);
  process.exit(0);
}

const sizes = (process.env.BENCH_FEEDS ?? "1000,10000").split(",").map(Number);
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 10);
const largest = Math.max(...sizes);

function feedXml(n: number): string {
  const items = Array.from({ length: ENTRIES }, (_, i) => {
    const date = new Date(Date.UTC(2025, 11, 9, 12, 0) - (n * ENTRIES + i) * 60_000).toUTCString();
    return (
      `<item><title>Meldung ${i} aus Feed ${n}: Regierung berät über Haushalt</title><link>https://feed${n}.example.org/artikel/${i}</link>` +
      `<guid isPermaLink="false">feed${n}-${i}</guid><pubDate>${date}</pubDate><category>Thema ${n % 20}</category>` +
      `<description><![CDATA[<p>Zusammenfassung der Meldung ${i} mit <a href="/mehr/${i}">mehr</a> Text.</p>]]></description></item>`
    );
  }).join("\n");
  return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed ${n}</title><link>https://feed${n}.example.org/</link><description>b</description>\n${items}\n</channel></rss>`;
}

const server = createServer((req, res) => {
  const n = Number(/^\/feed\/(\d+)\.xml$/.exec(req.url ?? "")?.[1] ?? -1);
  if (!(n >= 0 && n < largest)) return res.writeHead(404).end();
  res.writeHead(200, { "content-type": "application/rss+xml; charset=utf-8" }).end(feedXml(n));
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

const { opened: created, target, dispose } = await benchDatabase();
await created.migrate();
const description = created.description;
await created.close();

/** An empty database following `count` feeds, none fetched yet. */
async function prepare(count: number): Promise<void> {
  const opened = await openDatabase(target);
  try {
    await opened.db.execute(sql`truncate table item_tags, observations, documents, items, tags, sources, feed_state restart identity cascade`);
    for (let i = 0; i < count; i += 500) {
      await opened.db
        .insert(sources)
        .values(
          Array.from({ length: Math.min(500, count - i) }, (_, k) => ({ kind: "feed" as const, name: `feed-${i + k}`, url: `${base}/feed/${i + k}.xml` })),
        );
    }
  } finally {
    await opened.close();
  }
}

function pass(mode: Mode): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--pass", mode, JSON.stringify(target)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out) as Measured) : reject(new Error(`the ${mode} pass exited with ${code}`))));
  });
}

console.log(`first passes (every entry new) over feeds of ${ENTRIES} entries from a local server, ${CONCURRENCY} at a time; database: ${description}\n`);
console.log("process                                        feeds    failed  seconds  peak RSS   ratio to baseline");
let idle = 0;
// each row as its pass ends: the largest passes take minutes
const run = async (mode: Mode, count: number) => {
  await prepare(count);
  const r = await pass(mode);
  idle ||= r.peakRssMiB;
  const what =
    r.mode === "idle"
      ? "baseline: opens database and fetcher, polls 0"
      : r.mode === "stream"
        ? "pass, results streamed (fetch, serve --poll)"
        : "pass keeping every result (as before)";
  console.log(
    `${what.padEnd(46)} ${String(r.feeds).padEnd(8)} ${String(r.failed).padEnd(7)} ${r.seconds.toFixed(1).padEnd(8)} ${`${r.peakRssMiB.toFixed(0)} MiB`.padEnd(10)} ${(r.peakRssMiB / idle).toFixed(2)}`,
  );
};
try {
  await run("idle", 0);
  for (const count of sizes) await run("stream", count);
  await run("collect", largest);
} finally {
  server.close();
  await dispose();
}
