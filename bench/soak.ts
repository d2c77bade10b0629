/**
 * `npm run bench:soak`: months of polling in minutes, to show that storage
 * levels off once retention prunes. SOAK_FEEDS feeds (25) are polled for
 * SOAK_ROUNDS rounds (300), one round every SOAK_ROUND_HOURS simulated hours
 * (6): 75 days. Each round every feed lists SOAK_NEW new entries (2) in its
 * window of SOAK_WINDOW (10), so older ones drop out. Time is simulated: the
 * fetcher makes each feed's document for the current round in-process, and
 * the pass is told the time. Pruning follows the schedule `serve --poll`
 * uses (first after about 5 minutes, then every FEEDWERK_PRUNE_EVERY_HOURS,
 * jittered) with a retention of SOAK_RETAIN_DAYS (14, so that pruning has
 * two months to settle within the run). Every SOAK_EVERY rounds (20) it prints
 * row counts and sizes: pg_total_relation_size per table and
 * pg_database_size (on PGlite, the same functions over its own files).
 * BENCH_DATABASE_URL=postgres://… runs it on a scratch database of that server.
 */
import { sql } from "drizzle-orm";
import type { Fetcher } from "../src/pipeline/poll-feeds";
import { pollFeeds } from "../src/pipeline/poll-feeds";
import { describePrune, firstPruneDelayMs, nextPruneDelayMs, pruneByPolicy, type RetentionSettings } from "../src/pipeline/prune-schedule";
import { documents, itemTags, items, observations, sources } from "../src/storage/schema";
import { benchDatabase } from "./support/database";

const int = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const FEEDS = int("SOAK_FEEDS", 25);
const ROUNDS = int("SOAK_ROUNDS", 300);
const ROUND_MS = int("SOAK_ROUND_HOURS", 6) * 60 * 60_000;
const NEW = int("SOAK_NEW", 2);
const WINDOW = int("SOAK_WINDOW", 10);
const EVERY = int("SOAK_EVERY", 20);
const settings: RetentionSettings = { retainDays: int("SOAK_RETAIN_DAYS", 14), keepTags: [], pruneEveryHours: int("FEEDWERK_PRUNE_EVERY_HOURS", 24) };
const T0 = Date.UTC(2026, 0, 1, 0, 0);

/** A small linear congruential generator: the same jitter every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
const random = seeded(42);

let round = 0;
/** Feed n as it reads in the current round: its newest WINDOW entries, NEW of them new since the last round. */
function feedXml(n: number): string {
  const newest = (round + 1) * NEW - 1;
  const entries: string[] = [];
  for (let k = newest; k > newest - WINDOW && k >= 0; k--) {
    const date = new Date(T0 + Math.floor(k / NEW) * ROUND_MS + (k % NEW) * 60_000).toUTCString();
    entries.push(
      `<item><title>Meldung ${k} aus Feed ${n}: Regierung berät über Haushalt</title><link>https://feed${n}.example.org/artikel/${k}</link>` +
        `<guid isPermaLink="false">feed${n}-${k}</guid><pubDate>${date}</pubDate><category>Thema ${(n + k) % 20}</category>` +
        `<description><![CDATA[<p>Zusammenfassung der Meldung ${k} mit <a href="/mehr/${k}">mehr</a> Text, damit es nach etwas aussieht.</p>]]></description></item>`,
    );
  }
  return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed ${n}</title><link>https://feed${n}.example.org/</link><description>b</description>\n${entries.join("\n")}\n</channel></rss>`;
}

const encoder = new TextEncoder();
const fetcher: Fetcher = {
  async fetch(url) {
    const n = Number(/(\d+)\.xml$/.exec(url)![1]);
    return {
      status: "ok",
      url,
      movedTo: null,
      bytes: encoder.encode(feedXml(n)),
      contentType: "application/rss+xml; charset=utf-8",
      etag: null,
      lastModified: null,
      cacheControl: null,
    };
  },
};

const { opened, dispose } = await benchDatabase();
await opened.migrate();
const db = opened.db;
await db
  .insert(sources)
  .values(Array.from({ length: FEEDS }, (_, n) => ({ kind: "feed" as const, name: `feed-${n}`, url: `https://feed${n}.example.org/${n}.xml` })));

const TABLES = ["items", "observations", "documents", "item_tags"] as const;
async function sizes(): Promise<{
  rows: { items: number; observations: number; documents: number; item_tags: number };
  bytes: Record<string, number>;
  database: number;
}> {
  const rows = {
    items: await db.$count(items),
    observations: await db.$count(observations),
    documents: await db.$count(documents),
    item_tags: await db.$count(itemTags),
  };
  const bytes: Record<string, number> = {};
  for (const table of TABLES) {
    const [row] = await db.select({ n: sql<string>`pg_total_relation_size(${table}::regclass)::text` }).from(sql`(select 1) one`);
    bytes[table] = Number(row!.n);
  }
  const [database] = await db.select({ n: sql<string>`pg_database_size(current_database())::text` }).from(sql`(select 1) one`);
  return { rows, bytes, database: Number(database!.n) };
}

const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
const day = (t: number) => ((t - T0) / (24 * 60 * 60_000)).toFixed(1);
console.log(
  `${FEEDS} feeds × ${ROUNDS} rounds, one every ${ROUND_MS / 3_600_000} h (${((ROUNDS * ROUND_MS) / 86_400_000).toFixed(0)} days), ${NEW} new entries per feed per round in a window of ${WINDOW}; ` +
    `retention ${settings.retainDays} days, pruned every ${settings.pruneEveryHours} h ±10 %; database: ${opened.description}\n`,
);
console.log("round  day    items   observations  documents  item_tags  | items MiB  observations MiB  documents MiB  item_tags MiB  database MiB");
const report = async (t: number) => {
  const s = await sizes();
  console.log(
    `${String(round).padStart(5)}  ${day(t).padStart(5)}  ${String(s.rows.items).padStart(6)}  ${String(s.rows.observations).padStart(12)}  ${String(s.rows.documents).padStart(9)}  ${String(s.rows.item_tags).padStart(9)}  | ` +
      `${mib(s.bytes.items!).padStart(9)}  ${mib(s.bytes.observations!).padStart(15)}  ${mib(s.bytes.documents!).padStart(13)}  ${mib(s.bytes.item_tags!).padStart(13)}  ${mib(s.database).padStart(12)}`,
  );
  return s;
};

let nextPruneAt = T0 + firstPruneDelayMs(random);
const roundMs: number[] = [];
const pruneMs: number[] = [];
const pruned = { items: 0, observations: 0, documents: 0, runs: 0 };
const samples: { round: number; database: number; rows: number }[] = [];
let failures = 0;
for (round = 0; round < ROUNDS; round++) {
  const t = T0 + round * ROUND_MS;
  // what serve --poll does between passes: prune when the schedule says so
  while (nextPruneAt <= t) {
    const started = performance.now();
    const done = await pruneByPolicy(db, settings, new Date(nextPruneAt));
    pruneMs.push(performance.now() - started);
    if (done) {
      pruned.items += done.items;
      pruned.observations += done.observations;
      pruned.documents += done.documents;
      pruned.runs++;
      if (process.env.SOAK_VERBOSE) console.log(`        prune at day ${day(nextPruneAt)}: ${describePrune(done)}`);
    }
    nextPruneAt += nextPruneDelayMs(settings, random);
  }
  const started = performance.now();
  const results = await pollFeeds(db, fetcher, { all: true, now: () => new Date(t), concurrency: 8 });
  roundMs.push(performance.now() - started);
  failures += results.failed;
  if (round % EVERY === 0 || round === ROUNDS - 1) {
    const s = await report(t);
    samples.push({ round, database: s.database, rows: s.rows.items + s.rows.observations + s.rows.documents + s.rows.item_tags });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const last = samples.at(-1)!;
const half = samples.find((s) => s.round >= ROUNDS / 2)!;
console.log(`\npruned in all: ${describePrune({ ...pruned, changedTags: [] })} in ${pruned.runs} runs; failed fetches: ${failures}`);
console.log(
  `second half of the run: database ${mib(half.database)} → ${mib(last.database)} MiB (× ${(last.database / half.database).toFixed(2)}), rows × ${(last.rows / half.rows).toFixed(2)}`,
);
console.log(
  `polling round (${FEEDS} feeds): median ${median(roundMs).toFixed(0)} ms; prune: median ${median(pruneMs).toFixed(0)} ms, ` +
    `longest ${Math.max(...pruneMs).toFixed(0)} ms (× ${(Math.max(...pruneMs) / median(roundMs)).toFixed(2)} of a round)`,
);
await opened.close();
await dispose();
