/**
 * Tags that gain stories by their label's words, made safe: a label that is
 * a stop word of the story's language gains nothing, a label in capitals
 * only its own capitals (tests/topics/safe-words.json holds the stories and
 * what each label must gain). And the categories of followed feeds, which
 * gain only their own stories: a Portuguese feed's IN and a tech feed's IT
 * (tests/feeds/category-in.xml, category-it.xml) take no story of the seed.
 * On both storage backends.
 */
import { createServer, type Server } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { storyKey } from "../src/normalise/identity";
import { slugify } from "../src/normalise/slug";
import { labelNamesStory, matchTextOf } from "../src/normalise/topic/label-words";
import { likelyLanguages } from "../src/normalise/topic/stop-words";
import { ingestPage } from "../src/pipeline/ingest-page";
import { feedItems, findTag, tagItemIds } from "../src/storage/queries";
import { addFeedSource } from "../src/storage/sources";
import { storeDocument } from "../src/storage/store-document";
import { changeTopics } from "../src/storage/topic-changes";
import { tagOverview } from "../src/storage/topics";
import { teaser } from "./support/stories";
import { forEachDatabase } from "./support/databases";
import { collectPoll, forEachPollingDatabase } from "./support/polling";

const cases = JSON.parse(readFileSync(join(import.meta.dirname, "topics", "safe-words.json"), "utf8")) as {
  stories: Record<string, { title: string; summary: string }>;
  labels: Record<string, string[]>;
};
const keys = Object.keys(cases.stories);
const labels = Object.keys(cases.labels);
/** One label per tag: "IN" and "in" are one tag (in), labelled as first written. */
const tagLabels = labels.filter((label, i) => labels.findIndex((other) => slugify(other) === slugify(label)) === i);

const story = (title: string, summary: string) => teaser(title, summary);

describe("a label's words, made safe", () => {
  it.each(labels)("%j gains the stories it should, and no other", (label) => {
    const gained = keys.filter((key) => {
      const { title, summary } = cases.stories[key]!;
      return labelNamesStory(label, { title, summary, matchText: matchTextOf(title, summary) });
    });
    expect(gained).toEqual(cases.labels[label]);
  });

  it("tells a story's language by its stop words, German and English where it has none", () => {
    const words = (text: string) => matchTextOf(text, "").match(/[\p{L}\p{N}]+/gu) ?? [];
    expect(likelyLanguages(words("Studenten in einer Bibliothek"))).toEqual(["de"]);
    expect(likelyLanguages(words("Why bees die in winter, and what the hive does"))).toEqual(["en"]);
    expect(likelyLanguages(words("Os enviados reuniram-se em Genebra durante a manhã"))).toEqual(["pt"]);
    expect(likelyLanguages(words("Xbox Series X"))).toEqual(["de", "en"]);
  });
});

forEachDatabase("tags that gain stories by their words", (db) => {
  beforeAll(async () => {
    // every story as a portal teaser, without tags
    await storeDocument(db.db, {
      source: { kind: "page", name: "portal" },
      name: "stories.txt",
      sha256: "0".repeat(64),
      fetchedAt: new Date("2025-12-09T13:00:00Z"),
      items: Object.values(cases.stories).map((s) => story(s.title, s.summary)),
    });
    await changeTopics(db.db, { tags: Object.fromEntries(tagLabels.map((label) => [label, { match: "words" as const }])) });
  });

  it.each(tagLabels)("%j holds the stories it should", async (label) => {
    expect(await tagItemIds(db.db, slugify(label))).toEqual(cases.labels[label]!.map((key) => storyKey(cases.stories[key]!.title)).sort());
  });
});

// the two feeds with their categories IN and IT, served from this machine
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const name = (req.url ?? "/").slice(1);
    if (name !== "category-in.xml" && name !== "category-it.xml") return res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/rss+xml; charset=utf-8" }).end(readFileSync(join(import.meta.dirname, "feeds", name)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const SEED = {
  name: "seed.txt",
  bytes: new Uint8Array(readFileSync(join(import.meta.dirname, "..", "seeds", "000_fd0f4cb902b02a9c.txt"))),
  fetchedAt: new Date("2025-12-09T13:00:00Z"),
};

forEachPollingDatabase("a followed feed's categories", (db, fetcher) => {
  beforeEach(async () => {
    await ingestPage(db.db, SEED);
    await addFeedSource(db.db, { url: `${base}/category-in.xml` });
    await addFeedSource(db.db, { url: `${base}/category-it.xml` });
    const results = await collectPoll(db.db, fetcher, { now: () => new Date("2025-12-09T14:00:00Z") });
    expect(results.map((r) => r.outcome)).toEqual(["stored", "stored"]);
  });

  const feedStories = {
    in: ["Governo aprova novo orçamento para a saúde", "Negociações sobre a Ucrânia continuam"],
    it: ["Cloud outage hits European banks", "Why it matters: patch your servers now"],
  };
  const titlesOf = async (slug: string) => {
    const tag = await findTag(db.db, slug);
    return (await feedItems(db.db, { tagIds: [tag!.id], limit: 100 })).map((i) => i.title).sort();
  };
  const seedIds = async () => (await tagItemIds(db.db, "ukraine")).concat(await tagItemIds(db.db, "krieg"));

  it("IN and IT hold their feeds' entries and no story of the seed", async () => {
    for (const [slug, titles] of Object.entries(feedStories)) expect(await titlesOf(slug), slug).toEqual([...titles].sort());
    // "Studenten in einer Bibliothek" and "Ukraine-Verhandlungen in Alaska?" are in the seed, and stay out of IN
    expect((await seedIds()).length).toBeGreaterThan(0);
    const overview = (await tagOverview(db.db)).tags;
    const tag = (slug: string) => overview.find((t) => t.slug === slug)!;
    expect([tag("in").match, tag("in").origin, tag("in").items]).toEqual(["explicit", "feed", 2]);
    expect([tag("it").match, tag("it").origin, tag("it").items]).toEqual(["explicit", "feed", 2]);
    // the portal's own topics still gain stories by their words
    expect([tag("ukraine").match, tag("ukraine").origin]).toEqual(["words", "portal"]);
  });

  it("gain no story of the seed either when a person lets them match by words: IN and IT are stop words there", async () => {
    const report = await changeTopics(db.db, { tags: { in: { match: "words" }, it: { match: "words" } } }, { dryRun: true });
    expect(report.tags.map((t) => [t.slug, t.added.length, t.removed.length])).toEqual([
      ["in", 0, 0],
      ["it", 0, 0],
    ]);
    await changeTopics(db.db, { tags: { in: { match: "words" }, it: { match: "words" } } });
    expect((await tagItemIds(db.db, "in")).length).toBe(2);
    expect((await tagItemIds(db.db, "it")).length).toBe(2);
  });
});
