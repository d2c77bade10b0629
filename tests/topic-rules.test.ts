/**
 * Topics a person controls, on both storage backends: rules that include
 * and exclude stories by words or RE2 patterns over every field, global
 * rules that drop stories from every feed, re-checking the stored stories
 * when rules change (and a dry run that only reports it), and tags renamed,
 * merged and removed, with what documents naming the old names do then.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { topicSettings } from "../src/input/topic-settings";
import { issueLines } from "../src/input/schema-issues";
import { storyKey } from "../src/normalise/identity";
import type { Item, Tag } from "../src/normalise/item";
import { tagsFromLabels } from "../src/normalise/tag-union";
import type { OpenDatabase } from "../src/storage/open";
import { feedItems, findItem, tagItemIds } from "../src/storage/queries";
import { addFeedSource, findFeedSource } from "../src/storage/sources";
import { storeDocument } from "../src/storage/store-document";
import { changeTopics, mergeTags, removeTag, renameTag } from "../src/storage/topic-changes";
import { tagOverview } from "../src/storage/topics";
import { readVersions } from "../src/storage/versions";
import { forEachDatabase } from "./support/databases";

interface Story {
  title: string;
  summary: string;
  agency?: string;
  dateline?: string;
  content?: string;
  tags?: string[];
}

const PORTAL: Story[] = [
  { title: "Angriff auf Kiew in der Nacht", summary: "Russland greift die Hauptstadt an.", agency: "dpa", dateline: "Kiew", tags: ["Krieg"] },
  { title: "Selenskyj trifft Scholz", summary: "Gespräche über Hilfe in Berlin.", agency: "AFP" },
  { title: "Anzeige: Jetzt Strom sparen", summary: "Ein Angebot unseres Partners." },
  {
    title: "Energiewende kommt voran",
    summary: "Mehr Solarzellen auf den Dächern.",
    content: "<p>Auch der Ausbau der Windkraft im Norden geht schneller.</p>",
  },
  { title: "Bayern siegt in Dortmund", summary: "Ein spätes Tor entscheidet.", agency: "dpa" },
  { title: `${"a".repeat(60)}b`, summary: "Ein Titel, an dem ein Muster mit Rückverfolgung hängen bliebe." },
];
const TICKER: Story[] = [{ title: "Liveticker: Der Krieg in der Ukraine", summary: "Alle Entwicklungen des Tages.", tags: ["Krieg"] }];

const id = (title: string) => storyKey(title);
const ids = (...titles: string[]) => titles.map(id).sort();

function item(s: Story): Item {
  return {
    id: id(s.title),
    guid: id(s.title),
    kind: s.content ? "article" : "teaser",
    title: s.title,
    kicker: null,
    publishedAt: new Date("2025-12-09T12:00:00Z"),
    precision: "absolute",
    agency: s.agency ?? null,
    dateline: s.dateline ?? null,
    tags: tagsFromLabels(s.tags ?? []) as Tag[],
    commentCount: null,
    image: null,
    media: null,
    summary: s.summary,
    contentHtml: s.content ?? null,
    url: null,
  };
}

let n = 0;
const store = (db: OpenDatabase, source: { kind: "page" | "feed"; name: string; url?: string }, stories: Story[]) =>
  storeDocument(db.db, {
    source,
    name: `doc-${++n}`,
    sha256: String(n).padStart(64, "0"),
    fetchedAt: new Date(Date.UTC(2025, 11, 9, 13, n)),
    items: stories.map(item),
  });

const UKRAINE = {
  match: "rules" as const,
  include: ["Kiew", "Selenskyj", { pattern: "ukrain", in: ["title", "summary"] as ("title" | "summary")[] }],
  exclude: [
    {
      all: [
        { words: "liveticker", in: "source" as const },
        { words: "Liveticker", in: "title" as const },
      ],
    },
  ],
};

describe("topic settings as written", () => {
  it("name every fault by its place: a pattern RE2 cannot read, an unknown key, include on a tag matching by words", () => {
    const result = topicSettings.safeParse({
      ukraine: { match: "words", include: ["Kiew"] },
      krieg: { include: [{ pattern: "(?<=a)b" }] },
      wetter: { include: [{ word: "Regen" }] },
      leer: { exclude: [{ words: "!!!" }] },
      gross: { exclude: [{ pattern: "\\pL{1000}x" }] },
      offen: { exclude: [{ pattern: "(a" }] },
    });
    expect(result.success).toBe(false);
    const lines = issueLines(result.error!);
    expect(lines).toEqual(
      expect.arrayContaining([
        'ukraine.include: include rules need "match": "rules"',
        expect.stringMatching(/^krieg\.include\[0\]: .*pattern '\(\?<=a\)b'/),
        expect.stringMatching(/^wetter\.include\[0\]/),
        expect.stringMatching(/^leer\.exclude\[0\]: .*no letter or digit/),
        expect.stringMatching(/^gross\.exclude\[0\]: pattern '\\pL\{1000\}x' is too large to run on every story/),
        // the pattern as written, without the flag re2js adds
        "offen.exclude[0]: pattern '(a': missing closing ): `(a`",
      ]),
    );
  });
});

forEachDatabase(
  "topics a person controls",
  (db) => {
    beforeEach(async () => {
      await addFeedSource(db.db, { url: "https://ticker.example/liveticker.xml", name: "liveticker" });
      await store(db, { kind: "page", name: "portal" }, PORTAL);
      await store(db, { kind: "feed", name: "liveticker", url: "https://ticker.example/liveticker.xml" }, TICKER);
    });

    it("includes by words and patterns, excludes one source's live ticker, and reads content and agency", async () => {
      const report = await changeTopics(db.db, {
        tags: {
          "Ukraine-Krieg": UKRAINE,
          Windkraft: { include: [{ words: "Windkraft", in: "content" }] },
          "Von dpa": { include: [{ words: "dpa", in: ["agency", "author"] }] },
        },
      });
      expect(report.tags.map((t) => [t.slug, t.created, t.added.length, t.removed.length])).toEqual([
        ["ukraine-krieg", true, 2, 0],
        ["windkraft", true, 1, 0],
        ["von-dpa", true, 2, 0],
      ]);
      expect(await tagItemIds(db.db, "ukraine-krieg")).toEqual(ids("Angriff auf Kiew in der Nacht", "Selenskyj trifft Scholz"));
      expect(await tagItemIds(db.db, "windkraft")).toEqual(ids("Energiewende kommt voran"));
      expect(await tagItemIds(db.db, "von-dpa")).toEqual(ids("Angriff auf Kiew in der Nacht", "Bayern siegt in Dortmund"));
      // a rules tag is a person's topic, listed with its rules
      const overview = (await tagOverview(db.db)).tags.find((t) => t.slug === "ukraine-krieg")!;
      expect([overview.match, overview.origin, overview.include.length, overview.exclude.length]).toEqual(["rules", "person", 3, 1]);
    });

    it("excludes from a tag the stories its sources name it for too", async () => {
      expect(await tagItemIds(db.db, "krieg")).toEqual(ids("Angriff auf Kiew in der Nacht", "Liveticker: Der Krieg in der Ukraine"));
      await changeTopics(db.db, { tags: { krieg: { exclude: [{ pattern: "^Liveticker", in: "title" }] } } });
      expect(await tagItemIds(db.db, "krieg")).toEqual(ids("Angriff auf Kiew in der Nacht"));
    });

    it("reports in a dry run what a change would add and remove, and changes nothing", async () => {
      await changeTopics(db.db, { tags: { "Ukraine-Krieg": UKRAINE } });
      const before = await readVersions(db.db);
      const dry = await changeTopics(
        db.db,
        { tags: { "ukraine-krieg": { include: ["Scholz", "Dortmund"] } }, drop: [{ pattern: "^Anzeige\\b", in: "title" }] },
        { dryRun: true },
      );
      expect(dry.tags.map((t) => [t.slug, t.added.map((a) => a.title), t.removed.map((r) => r.title)])).toEqual([
        ["ukraine-krieg", ["Bayern siegt in Dortmund"], ["Angriff auf Kiew in der Nacht"]],
      ]);
      expect(dry.dropped.map((d) => d.title)).toEqual(["Anzeige: Jetzt Strom sparen"]);
      expect(await tagItemIds(db.db, "ukraine-krieg")).toEqual(ids("Angriff auf Kiew in der Nacht", "Selenskyj trifft Scholz"));
      expect((await tagOverview(db.db)).drop).toEqual([]);
      const after = await readVersions(db.db);
      expect(after.tags.get("ukraine-krieg")!.version).toBe(before.tags.get("ukraine-krieg")!.version);
      expect(after.all.version).toBe(before.all.version);
    });

    it("re-checks every stored story when a tag's rules or match change, and versions its feed", async () => {
      await changeTopics(db.db, { tags: { "Ukraine-Krieg": UKRAINE } });
      const before = (await readVersions(db.db)).tags.get("ukraine-krieg")!.version;
      await changeTopics(db.db, { tags: { "ukraine-krieg": { include: ["Selenskyj"] } } });
      expect(await tagItemIds(db.db, "ukraine-krieg")).toEqual(ids("Selenskyj trifft Scholz"));
      expect((await readVersions(db.db)).tags.get("ukraine-krieg")!.version).toBeGreaterThan(before);
      // explicit: only what a source names it for, which no source does
      await changeTopics(db.db, { tags: { "ukraine-krieg": { match: "explicit", include: [] } } });
      expect(await tagItemIds(db.db, "ukraine-krieg")).toEqual([]);
      // the same settings again change nothing
      expect((await changeTopics(db.db, { tags: { "ukraine-krieg": { match: "explicit" } } })).tags).toEqual([]);
    });

    it("drops stories from every tag and feed by a global rule, links a new story by the rules, and shows them again without it", async () => {
      await changeTopics(db.db, { tags: { "Ukraine-Krieg": UKRAINE } });
      const ad = id("Anzeige: Jetzt Strom sparen");
      const report = await changeTopics(db.db, { drop: [{ pattern: "^(Anzeige|Werbung)\\b", in: "title" }, { words: "Gewinnspiel" }] });
      expect(report.dropped.map((d) => d.title)).toEqual(["Anzeige: Jetzt Strom sparen"]);
      expect(report.changedTags).toEqual([]);
      const all = async () => (await feedItems(db.db, { tagIds: null, limit: 100 })).map((i) => i.id);
      expect(await all()).not.toContain(ad);
      expect(await findItem(db.db, ad)).toBeNull();
      expect((await findItem(db.db, ad, { dropped: true }))?.title).toBe("Anzeige: Jetzt Strom sparen");

      // stories that arrive later meet the same rules: one dropped, one the topic includes
      await store(db, { kind: "page", name: "portal" }, [
        { title: "Werbung: Das Gewinnspiel der Woche", summary: "Mitmachen lohnt sich.", tags: ["Krieg"] },
        { title: "Selenskyj in Washington", summary: "Ein Besuch im Weißen Haus." },
      ]);
      expect(await all()).not.toContain(id("Werbung: Das Gewinnspiel der Woche"));
      expect(await tagItemIds(db.db, "krieg")).not.toContain(id("Werbung: Das Gewinnspiel der Woche"));
      expect(await tagItemIds(db.db, "ukraine-krieg")).toContain(id("Selenskyj in Washington"));

      const restored = await changeTopics(db.db, { drop: [] });
      expect(restored.restored.map((r) => r.title).sort()).toEqual(["Anzeige: Jetzt Strom sparen", "Werbung: Das Gewinnspiel der Woche"]);
      expect(await all()).toEqual(expect.arrayContaining([ad, id("Werbung: Das Gewinnspiel der Woche")]));
      expect(await tagItemIds(db.db, "krieg")).toContain(id("Werbung: Das Gewinnspiel der Woche"));
    });

    it("re-checks a story whose content, byline or sources change, where a rule reads them", async () => {
      await changeTopics(db.db, {
        tags: { Solar: { include: [{ words: "Photovoltaik", in: "content" }] } },
        drop: [
          { words: "Werbepartner", in: "agency" },
          { words: "spamfeed", in: "source" },
        ],
      });
      // a teaser, then its article: the same title and summary, and content the rule reads
      const teaser = { title: "Dächer werden Kraftwerke", summary: "Mehr Strom vom Dach." };
      await store(db, { kind: "page", name: "portal" }, [teaser]);
      expect(await tagItemIds(db.db, "solar")).toEqual([]);
      await store(db, { kind: "page", name: "portal" }, [{ ...teaser, content: "<p>Die Photovoltaik wächst.</p>" }]);
      expect(await tagItemIds(db.db, "solar")).toEqual(ids("Dächer werden Kraftwerke"));
      // the same story again with another byline, which a global rule drops
      await store(db, { kind: "page", name: "portal" }, [{ ...teaser, content: "<p>Die Photovoltaik wächst.</p>", agency: "Werbepartner" }]);
      expect(await findItem(db.db, id("Dächer werden Kraftwerke"))).toBeNull();
      // a story the portal showed, shown unchanged by a source the rules drop
      const kiew = PORTAL[0]!;
      await addFeedSource(db.db, { url: "https://spam.example/feed.xml", name: "spamfeed" });
      await store(db, { kind: "feed", name: "spamfeed", url: "https://spam.example/feed.xml" }, [kiew]);
      expect(await findItem(db.db, id(kiew.title))).toBeNull();
      expect(await tagItemIds(db.db, "krieg")).not.toContain(id(kiew.title));
    });

    it("applies settings given by a renamed tag's old name to that tag, as a sources file written before the rename says", async () => {
      await renameTag(db.db, "krieg", "Krieg in der Ukraine");
      const report = await changeTopics(db.db, { tags: { Krieg: { exclude: [{ pattern: "^Liveticker", in: "title" }] } } });
      expect(report.tags.map((t) => [t.slug, t.created, t.renamedFrom, t.removed.length])).toEqual([["krieg-in-der-ukraine", false, "krieg", 1]]);
      const versions = await readVersions(db.db);
      expect([versions.tags.has("krieg"), versions.aliases.get("krieg")]).toEqual([false, "krieg-in-der-ukraine"]);
      // two names of one tag in one change are a fault, and nothing changes
      await expect(changeTopics(db.db, { tags: { krieg: {}, "Krieg in der Ukraine": { match: "explicit" } } })).rejects.toThrow(/names the same tag/);
    });

    it("versions the feeds of every story a merge moves, those that list them as categories included", async () => {
      await store(db, { kind: "page", name: "portal" }, [{ title: "Liveticker: Zweiter Tag", summary: "Weiter.", tags: ["Front", "Osten"] }]);
      await changeTopics(db.db, { tags: { Osten: { exclude: [{ pattern: "^Liveticker", in: "title" }] } } });
      const before = await readVersions(db.db);
      await mergeTags(db.db, "front", "osten");
      const after = await readVersions(db.db);
      // the story left "front" (merged away) and did not join "osten" (which excludes it); "krieg" is untouched
      expect(after.tags.get("osten")!.version).toBeGreaterThan(before.tags.get("osten")!.version);
      expect(after.tags.get("krieg")!.version).toBe(before.tags.get("krieg")!.version);
      expect(await tagItemIds(db.db, "osten")).toEqual([]);
    });

    it("runs a pattern that would backtrack catastrophically in linear time (RE2)", async () => {
      // (a+)+$ over sixty a's and a b: a backtracking engine would take longer than the test may
      await changeTopics(db.db, { tags: { Muster: { include: [{ pattern: "(a+)+$", in: "title" }] } } });
      expect(await tagItemIds(db.db, "muster")).toEqual([]);
    });

    it("renames a tag: documents naming the old name name the new tag, followed feeds given it get the new label", async () => {
      await addFeedSource(db.db, { url: "https://ticker.example/b.xml", name: "b", tags: ["Krieg"] });
      const renamed = await renameTag(db.db, "Krieg", "Krieg in der Ukraine");
      expect([renamed.from, renamed.to, renamed.items]).toEqual(["krieg", "krieg-in-der-ukraine", 2]);
      expect(await tagItemIds(db.db, "krieg-in-der-ukraine")).toEqual(ids("Angriff auf Kiew in der Nacht", "Liveticker: Der Krieg in der Ukraine"));
      expect((await findFeedSource(db.db, "b"))!.tags).toEqual(["Krieg in der Ukraine"]);
      // a page naming "Krieg" again does not bring the old tag back: the story joins the renamed one
      await store(db, { kind: "page", name: "portal" }, [{ title: "Waffenruhe hält", summary: "Ruhige Nacht.", tags: ["Krieg"] }]);
      expect(await tagItemIds(db.db, "krieg")).toEqual([]);
      expect(await tagItemIds(db.db, "krieg-in-der-ukraine")).toContain(id("Waffenruhe hält"));
      const versions = await readVersions(db.db);
      expect(versions.tags.has("krieg")).toBe(false);
      expect(versions.aliases.get("krieg")).toBe("krieg-in-der-ukraine");
      await expect(renameTag(db.db, "Krieg", "Anders")).rejects.toThrow(/renamed or merged into 'krieg-in-der-ukraine'/);
    });

    it("merges one tag into another, which keeps its own rules; and removes a tag for good until a person names it again", async () => {
      await changeTopics(db.db, { tags: { "Ukraine-Krieg": UKRAINE } });
      const merged = await mergeTags(db.db, "krieg", "ukraine-krieg");
      expect([merged.from, merged.into, merged.items, merged.kept]).toEqual(["krieg", "ukraine-krieg", 2, 1]);
      // the live ticker was named "Krieg", but the tag it went into excludes it
      expect(await tagItemIds(db.db, "ukraine-krieg")).toEqual(ids("Angriff auf Kiew in der Nacht", "Selenskyj trifft Scholz"));
      expect((await readVersions(db.db)).aliases.get("krieg")).toBe("ukraine-krieg");

      const removed = await removeTag(db.db, "ukraine-krieg");
      expect([removed.slug, removed.items]).toEqual(["ukraine-krieg", 2]);
      const versions = await readVersions(db.db);
      expect([versions.aliases.get("ukraine-krieg"), versions.aliases.get("krieg")]).toEqual([null, null]);
      // a document naming a removed tag does not bring it back
      await store(db, { kind: "page", name: "portal" }, [{ title: "Kämpfe im Osten", summary: "Neue Angriffe.", tags: ["Krieg"] }]);
      expect((await readVersions(db.db)).tags.has("krieg")).toBe(false);
      expect((await tagOverview(db.db)).removed).toEqual(["krieg", "ukraine-krieg"]);
      // a person naming it brings it back at once, with the stories whose sources name it (pages said "Krieg" all along)
      await addFeedSource(db.db, { url: "https://ticker.example/c.xml", name: "c", tags: ["Krieg"] });
      const named = ids("Angriff auf Kiew in der Nacht", "Liveticker: Der Krieg in der Ukraine", "Kämpfe im Osten");
      expect(await tagItemIds(db.db, "krieg")).toEqual(named);
      expect((await tagOverview(db.db)).tags.find((t) => t.slug === "krieg")).toMatchObject({ match: "explicit", origin: "person" });
      await store(db, { kind: "feed", name: "c", url: "https://ticker.example/c.xml" }, [{ title: "Front bleibt ruhig", summary: "Kaum Bewegung." }]);
      expect(await tagItemIds(db.db, "krieg")).toEqual([...named, id("Front bleibt ruhig")].sort());
    });
  },
  { emptyBeforeEach: true },
);
