/**
 * `npm run bench:tag-match`: what a new tag costs on a site of 100,000
 * stories (BENCH_ITEMS), with the full-text index item_search_words (which holds each
 * story's words: storage/match-words) and, as the baseline measured in the
 * same run, without it (the index dropped after migrating: every item read,
 * and its words tested, where the index would narrow them). Also what the
 * index costs the write path: storing documents of new stories and indexing them (storage/search-index).
 *
 * Each measurement runs in a process of its own (this file with
 * --variant=index|scan) on a database of its own; the two variants take
 * turns over BENCH_ROUNDS rounds and the medians are reported, so load from
 * elsewhere on the machine hits both alike. BENCH_DATABASE_URL selects
 * PostgreSQL, otherwise PGlite.
 */
import { fork } from "node:child_process";
import { sql } from "drizzle-orm";
import type { Item } from "../src/normalise/item";
import { storyKey } from "../src/normalise/identity";
import { insertRows } from "../src/storage/bulk-insert";
import { items } from "../src/storage/schema";
import { storeDocument } from "../src/storage/store-document";
import { matchWordsOf } from "../src/storage/match-words";
import { indexQueued } from "../src/storage/search-index";
import { matchTextOf } from "../src/normalise/topic/label-words";
import { tagItemIds } from "../src/storage/queries";
import { tagsFromLabels } from "../src/normalise/tag-union";
import { benchDatabase } from "./support/database";

const ITEMS = Number(process.env.BENCH_ITEMS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DOCUMENTS = 40;
const PER_DOCUMENT = 50;

/** The labels a new tag is given, and how often each occurs in the stories (as a whole word). */
const LABELS: { label: string; share: number }[] = [
  { label: "Bürgergeld", share: 0.001 },
  { label: "Haushalt", share: 0.01 },
  { label: "Regierung", share: 0.05 },
  { label: "New York", share: 0.002 },
  { label: "Zollstreit", share: 0 },
  { label: "Wärmepumpe", share: 0.0005 },
  // a word of two letters: narrowed by the index like any other
  { label: "EU", share: 0.02 },
];

interface Figures {
  variant: string;
  database: string;
  /** ms to store DOCUMENTS documents of PER_DOCUMENT new stories each, on top of ITEMS stories. */
  storeMs: number;
  /** ms per label for its tag's creation and linking, and the stories it got. */
  tags: { label: string; ms: number; linked: number }[];
}

// A deterministic vocabulary of German-looking words: many share syllables, as real ones do.
const SYLLABLES = [
  "ber",
  "gen",
  "schaft",
  "ung",
  "ver",
  "lich",
  "te",
  "rat",
  "wald",
  "stadt",
  "an",
  "ein",
  "haus",
  "mer",
  "kraft",
  "spiel",
  "zeit",
  "land",
  "ge",
  "richt",
  "stel",
  "len",
  "bau",
  "ar",
  "beit",
  "markt",
  "stein",
  "feld",
  "ter",
  "ent",
  "schei",
  "dung",
  "wahl",
  "kreis",
];
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const next = random(42);
const VOCABULARY = Array.from({ length: 20_000 }, () => {
  const n = 2 + Math.floor(next() * 3);
  return Array.from({ length: n }, () => SYLLABLES[Math.floor(next() * SYLLABLES.length)]).join("");
});

function storyText(n: number, rnd: () => number): { title: string; summary: string } {
  const words = (count: number) => Array.from({ length: count }, () => VOCABULARY[Math.floor(rnd() * VOCABULARY.length)]!);
  const title = words(6 + Math.floor(rnd() * 5));
  const summary = words(18 + Math.floor(rnd() * 12));
  for (const { label, share } of LABELS) if (rnd() < share) summary.splice(Math.floor(rnd() * summary.length), 0, label);
  title[0] = title[0]!.charAt(0).toUpperCase() + title[0]!.slice(1);
  return { title: `${title.join(" ")} ${n}`, summary: `${summary.join(" ")}.` };
}

function story(n: number, rnd: () => number): Item {
  const { title, summary } = storyText(n, rnd);
  const id = storyKey(title);
  return {
    id,
    guid: id,
    kind: "teaser",
    title,
    kicker: null,
    publishedAt: new Date(Date.UTC(2025, 0, 1) + n * 60_000),
    precision: "minute",
    agency: null,
    dateline: null,
    tags: [],
    commentCount: null,
    image: null,
    media: null,
    summary,
    contentHtml: null,
    url: null,
  };
}

async function measure(variant: string): Promise<Figures> {
  const { opened, dispose } = await benchDatabase();
  try {
    await opened.migrate();
    if (variant === "scan") await opened.db.execute(sql`drop index item_search_words`);
    const db = opened.db;
    const rnd = random(7);
    // the site: written as rows, the fastest way in, with the index kept up as they arrive
    for (let i = 0; i < ITEMS; i += 2000) {
      const rows = Array.from({ length: Math.min(2000, ITEMS - i) }, (_, k) => {
        const item = story(i + k, rnd);
        const at = item.publishedAt!;
        const matchText = matchTextOf(item.title, item.summary);
        return {
          ...item,
          pageTags: [],
          matchText,
          matchWords: matchWordsOf(matchText),
          feedAt: at,
          firstSeenAt: at,
          updatedAt: at,
          contentHash: item.id,
          dropped: false,
        };
      });
      await insertRows(db, items, rows, { name: "bench_fill" });
    }
    // indexed as stored stories are, after their storing: queued, then indexed in bulk
    await db.execute(sql`insert into search_queue (item_id) select id from items`);
    await indexQueued(db);
    await db.execute(sql`analyze items`);
    await db.execute(sql`analyze item_search`);

    const t0 = performance.now();
    for (let d = 0; d < DOCUMENTS; d++) {
      await storeDocument(db, {
        source: { kind: "page", name: "bench" },
        name: `page-${d}.txt`,
        sha256: `${d}`.padStart(64, "0"),
        fetchedAt: new Date(Date.UTC(2025, 11, 1, 0, d)),
        items: Array.from({ length: PER_DOCUMENT }, (_, k) => story(ITEMS + d * PER_DOCUMENT + k, rnd)),
      });
    }
    await indexQueued(db);
    const storeMs = performance.now() - t0;

    // each label arrives as a new topic of the portal's, which gains the stored stories that hold its words: a page of
    // one story that names it (whose storing is part of the time, as it is of the site's)
    const figures: Figures["tags"] = [];
    for (const [k, { label }] of LABELS.entries()) {
      const t = performance.now();
      await storeDocument(db, {
        source: { kind: "page", name: "bench" },
        name: `topic-${k}.txt`,
        sha256: `t${k}`.padStart(64, "0"),
        fetchedAt: new Date(Date.UTC(2025, 11, 2, 0, k)),
        items: [{ ...story(ITEMS + DOCUMENTS * PER_DOCUMENT + k, rnd), tags: tagsFromLabels([label]) }],
      });
      const ms = performance.now() - t;
      figures.push({ label, ms, linked: (await tagItemIds(db, tagsFromLabels([label])[0]!.slug)).length });
    }
    return { variant, database: opened.description.replace(/ \(.*/, ""), storeMs, tags: figures };
  } finally {
    await opened.close();
    await dispose();
  }
}

const variant = process.argv.find((a) => a.startsWith("--variant="))?.slice("--variant=".length);
if (variant) {
  process.send!(await measure(variant));
} else {
  const runs: Figures[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // the order alternates, so neither variant always runs on a machine warmed or loaded by the other
    for (const v of round % 2 ? ["index", "scan"] : ["scan", "index"]) {
      runs.push(
        await new Promise<Figures>((resolve, reject) => {
          const child = fork(new URL(import.meta.url).pathname, [`--variant=${v}`], {
            execArgv: ["--import", "tsx"],
            stdio: ["ignore", "inherit", "inherit", "ipc"],
          });
          let got: Figures | undefined;
          child.on("message", (m) => (got = m as Figures));
          child.on("exit", (code) => (got ? resolve(got) : reject(new Error(`--variant=${v} exited with ${code}`))));
        }),
      );
      process.stderr.write(".");
    }
  }
  process.stderr.write("\n");
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const of = (v: string) => runs.filter((r) => r.variant === v);
  const [scan, index] = [of("scan"), of("index")];
  console.log(`a new tag on ${ITEMS.toLocaleString("en")} stories; database: ${runs[0]!.database}; ${ROUNDS} rounds, medians\n`);
  console.log("label          stories   without index (ms)   with index (ms)   speed-up");
  for (const { label } of LABELS) {
    const pick = (rs: Figures[]) => rs.map((r) => r.tags.find((t) => t.label === label)!);
    const linked = new Set([...pick(scan), ...pick(index)].map((t) => t.linked));
    const [s, i] = [median(pick(scan).map((t) => t.ms)), median(pick(index).map((t) => t.ms))];
    // both variants must find the same stories, or the figures compare different work
    if (linked.size !== 1) throw new Error(`${label}: the variants linked different numbers of stories: ${[...linked].join(", ")}`);
    console.log(`${label.padEnd(14)} ${String([...linked][0]).padEnd(9)} ${s.toFixed(1).padEnd(20)} ${i.toFixed(1).padEnd(17)} ${(s / i).toFixed(1)}×`);
  }
  const [ss, si] = [median(scan.map((r) => r.storeMs)), median(index.map((r) => r.storeMs))];
  console.log(
    `\nstoring ${DOCUMENTS} documents of ${PER_DOCUMENT} new stories: ${ss.toFixed(0)} ms without the index, ${si.toFixed(0)} ms with it (ratio ${(si / ss).toFixed(2)})`,
  );
}
