/**
 * The normalisation rules one by one, each with the cases the page format
 * notes name and the ones around their edges.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDateSourceLine, parseNumericDateLine, parseRelativeTime } from "../src/input/page/dates";
import { readDateline } from "../src/input/page/dateline";
import { PageFormatError, parsePage } from "../src/input/page/parse";
import { decodePage } from "../src/input/page/decode";
import { berlinToUtc } from "../src/normalise/berlin-time";
import { storyKey } from "../src/normalise/identity";
import { parseInstant } from "../src/normalise/instant";
import { derive, type Observation } from "../src/normalise/merge";
import { slugify } from "../src/normalise/slug";

describe("tag slugs", () => {
  it.each([
    ["Fragen & Antworten", "fragen-antworten"],
    ["Ukraine", "ukraine"],
    ["USA", "usa"],
    ["Österreich", "oesterreich"],
    ["Fußball-WM 2026", "fussball-wm-2026"],
    ["Grüne Wähler", "gruene-waehler"],
    ["  Nahost / Krieg  ", "nahost-krieg"],
    ["Café & Crème", "cafe-creme"],
    ["#MeToo!", "metoo"],
    ["ÄÖÜ", "aeoeue"],
  ])("%s → %s", (label, slug) => expect(slugify(label)).toBe(slug));
});

describe("Berlin wall-clock time", () => {
  const utc = (y: number, mo: number, d: number, h: number, mi: number) => berlinToUtc({ year: y, month: mo, day: d, hour: h, minute: mi }).toISOString();
  it("is UTC+1 in winter and UTC+2 in summer", () => {
    expect(utc(2026, 1, 15, 8, 5)).toBe("2026-01-15T07:05:00.000Z");
    expect(utc(2025, 8, 10, 12, 47)).toBe("2025-08-10T10:47:00.000Z");
    expect(utc(2025, 12, 31, 23, 30)).toBe("2025-12-31T22:30:00.000Z");
  });
  it("switches on the last Sundays of March and October", () => {
    expect(utc(2025, 3, 30, 1, 59)).toBe("2025-03-30T00:59:00.000Z"); // still CET
    expect(utc(2025, 3, 30, 3, 0)).toBe("2025-03-30T01:00:00.000Z"); // CEST
    expect(utc(2025, 3, 30, 2, 30)).toBe("2025-03-30T01:30:00.000Z"); // in the gap: read as CET
    expect(utc(2025, 10, 26, 2, 30)).toBe("2025-10-26T00:30:00.000Z"); // twice: the first (CEST)
    expect(utc(2025, 10, 26, 3, 0)).toBe("2025-10-26T02:00:00.000Z"); // CET again
  });
});

describe("instants given on the command line and in sidecars", () => {
  it("reads ISO 8601 with a zone", () => {
    expect(parseInstant("2025-12-09T13:00:00Z")?.toISOString()).toBe("2025-12-09T13:00:00.000Z");
    expect(parseInstant("2024-02-29T23:59:59+01:00")?.toISOString()).toBe("2024-02-29T22:59:59.000Z");
  });

  it.each([
    "2025-02-30T10:00:00Z",
    "2025-02-29T10:00:00Z",
    "2025-04-31T00:00:00Z",
    "2025-13-01T00:00:00Z",
    "2025-12-00T00:00:00Z",
    "2025-12-09T24:00:00Z",
    "2025-12-09T13:60:00Z",
    "2025-12-09 13:00",
  ])("refuses %s rather than moving it to another day", (value) => {
    expect(parseInstant(value)).toBeNull();
  });
});

describe("date lines", () => {
  it("reads the article's date and source", () => {
    expect(parseDateSourceLine("10. August 2025, 12:47 Uhr · Quelle: dpa")).toEqual({ publishedAt: new Date("2025-08-10T10:47:00Z"), source: "dpa" });
    expect(parseDateSourceLine("3. März 2026, 09:00 Uhr · Quelle: dpa-AFX")?.source).toBe("dpa-AFX");
    expect(parseDateSourceLine("1. Januar 2026, 0:05 Uhr")).toEqual({ publishedAt: new Date("2025-12-31T23:05:00Z"), source: null });
    expect(parseDateSourceLine("24.\u00a0Dezember\u00a02025,\u202f18:00\u00a0Uhr\u00a0·\u00a0Quelle:\u00a0AFP")?.publishedAt).toEqual(
      new Date("2025-12-24T17:00:00Z"),
    );
  });
  it("refuses what is not a date line", () => {
    expect(parseDateSourceLine("Russisch-amerikanischer Gipfel")).toBeNull();
    expect(parseDateSourceLine("31. Februar 2025, 12:00 Uhr · Quelle: dpa")).toBeNull();
    expect(parseDateSourceLine("10. Brumaire 2025, 12:47 Uhr · Quelle: dpa")).toBeNull();
    expect(parseDateSourceLine("10. August 2025, 25:47 Uhr · Quelle: dpa")).toBeNull();
  });
  it("reads the closing numeric date", () => {
    expect(parseNumericDateLine("10.08.2025 · 12:47 Uhr")).toEqual(new Date("2025-08-10T10:47:00Z"));
    expect(parseNumericDateLine("Konflikte / Krieg")).toBeNull();
  });
});

describe("relative times", () => {
  const at = new Date("2025-12-09T13:00:00Z");
  it.each([
    ["vor 1 Minute", "2025-12-09T12:59:00.000Z", "minute"],
    ["vor 3 Minuten", "2025-12-09T12:57:00.000Z", "minute"],
    ["vor 1 Stunde", "2025-12-09T12:00:00.000Z", "hour"],
    ["vor 15 Stunden", "2025-12-08T22:00:00.000Z", "hour"],
    ["vor 1 Tag", "2025-12-08T13:00:00.000Z", "day"],
    ["vor 2 Tagen", "2025-12-07T13:00:00.000Z", "day"],
    ["vor 1 Woche", "2025-12-02T13:00:00.000Z", "week"],
    ["vor 3 Wochen", "2025-11-18T13:00:00.000Z", "week"],
    ["vor einer Stunde", "2025-12-09T12:00:00.000Z", "hour"],
  ])("%s", (text, iso, precision) => {
    expect(parseRelativeTime(text, at)).toEqual({ publishedAt: new Date(iso), precision });
  });
  it("is exactly the stated amount, across a DST change too", () => {
    // 2025-10-26 has 25 hours in Berlin; "vor 1 Tag" is still 24 hours.
    expect(parseRelativeTime("vor 1 Tag", new Date("2025-10-26T12:00:00Z"))?.publishedAt).toEqual(new Date("2025-10-25T12:00:00Z"));
  });
  it("is not read into other lines", () => {
    expect(parseRelativeTime("vor 3 Jahren", at)).toBeNull();
    expect(parseRelativeTime("Vorstand tritt zurück", at)).toBeNull();
  });
});

describe("datelines", () => {
  it.each([
    ["Prag (dpa) - Mehr als zwei Monate", { place: "Prag", agency: "dpa" }],
    ["(BANG) - Clementine Douglas dachte", { place: null, agency: "BANG" }],
    ["Wiesbaden - Der Frauenanteil", { place: "Wiesbaden", agency: null }],
    ["Marchtrenk, 09.12.2025 (PresseBox) - Was früher", { place: "Marchtrenk", agency: "PresseBox" }],
    ["Washington/Moskau/Kiew (dpa) - US-Präsident", { place: "Washington/Moskau/Kiew", agency: "dpa" }],
    ["Frankfurt am Main (dpa-AFX) – Der Dax", { place: "Frankfurt am Main", agency: "dpa-AFX" }],
    ["Halle (Saale) (epd) - Der Stadtrat", { place: "Halle (Saale)", agency: "epd" }],
    ["Berlin/Paris (AFP/dpa) - Die Regierungen", { place: "Berlin/Paris", agency: "AFP/dpa" }],
  ])("%s", (text, want) => expect(readDateline(text)).toEqual(want));

  // Titles are never read for datelines ("New York Knicks - Orlando Magic" is one); prose must not yield one.
  it.each([
    "Was das Treffen bringen kann - dazu einige Fragen und Antworten:",
    "Staubige Straßen, sengende Hitze und eine Silhouette - so beginnt es",
    "Es soll um die Ukraine gehen - ohne die Ukraine.",
    "Der Top-Down- […]",
    "Eine Parallelwelt aus Loyalität und Lücken Die ukrainische Regierung",
  ])("no dateline in %s", (text) => expect(readDateline(text)).toBeNull());
});

describe("story identity", () => {
  it("ignores case and white-space differences, not words", () => {
    expect(storyKey("Fallout Staffel\u202f2: Neuer Clip")).toBe(storyKey("Fallout  Staffel 2: neuer clip"));
    expect(storyKey("Jane Seymour")).not.toBe(storyKey("David Corenswet"));
  });
});

describe("merging observations", () => {
  const obs = (fetchedAt: string, over: Partial<Observation> = {}): Observation => ({
    fetchedAt: new Date(fetchedAt),
    kind: "teaser",
    contentHash: "a",
    commentCount: 0,
    publishedAt: null,
    precision: "none",
    tags: [],
    untimedAt: null,
    ...over,
  });
  const set = [
    obs("2025-12-09T10:00:00Z"),
    obs("2025-12-09T12:00:00Z", { publishedAt: new Date("2025-12-09T09:00:00Z"), precision: "hour", commentCount: 2 }),
    obs("2025-12-09T13:00:00Z", { publishedAt: new Date("2025-12-09T09:17:00Z"), precision: "minute", contentHash: "b", commentCount: 2 }),
    obs("2025-12-09T15:00:00Z", { publishedAt: new Date("2025-12-08T15:00:00Z"), precision: "day", contentHash: "b", commentCount: 5 }),
    obs("2025-12-09T16:00:00Z", { kind: "article", contentHash: "c", commentCount: 4, publishedAt: new Date("2025-12-09T09:15:00Z"), precision: "absolute" }),
  ];

  it("takes the date from the most precise observation, content from the richest, comments from the newest", () => {
    const d = derive(set);
    expect(d.publishedAt).toEqual(new Date("2025-12-09T09:15:00Z"));
    expect(d.precision).toBe("absolute");
    expect(d.content.contentHash).toBe("c");
    expect(d.commentCount).toBe(4);
    expect(d.firstSeenAt).toEqual(new Date("2025-12-09T10:00:00Z"));
    expect(d.updatedAt).toEqual(new Date("2025-12-09T16:00:00Z"));
  });

  it("gives the same item for every order of the same observations", () => {
    const reference = JSON.stringify(derive(set));
    const permute = (xs: Observation[]): Observation[][] =>
      xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permute([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
    for (const order of permute(set)) expect(JSON.stringify(derive(order))).toBe(reference);
  });

  it("prefers, at equal precision, the earlier instant: relative times are truncated", () => {
    const d = derive([
      obs("2025-12-09T13:00:00Z", { publishedAt: new Date("2025-12-09T11:00:00Z"), precision: "hour" }),
      obs("2025-12-09T14:30:00Z", { publishedAt: new Date("2025-12-09T10:30:00Z"), precision: "hour" }),
    ]);
    expect(d.publishedAt).toEqual(new Date("2025-12-09T10:30:00Z"));
  });

  it("dates an unchanged story by when its state was first seen", () => {
    const d = derive([obs("2025-12-09T10:00:00Z"), obs("2025-12-09T18:00:00Z")]);
    expect(d.updatedAt).toEqual(new Date("2025-12-09T10:00:00Z"));
  });

  const dated = { publishedAt: new Date("2025-12-09T09:15:00Z"), precision: "absolute" as const };
  // each case: observations, and the updatedAt they give
  const updates: [string, Observation[], string][] = [
    ["a dated story seen once is updated when published", [obs("2025-12-09T10:00:00Z", dated)], "2025-12-09T09:15:00Z"],
    [
      "a dated story seen again unchanged stays at its publication",
      [obs("2025-12-09T10:00:00Z", dated), obs("2025-12-09T18:00:00Z", dated)],
      "2025-12-09T09:15:00Z",
    ],
    [
      "an article seen first, then as a teaser, is no change",
      [obs("2025-12-09T10:00:00Z", { ...dated, kind: "article", contentHash: "c" }), obs("2025-12-09T12:00:00Z")],
      "2025-12-09T09:15:00Z",
    ],
    [
      "a teaser, then the article: changed when the article was first seen",
      [obs("2025-12-09T10:00:00Z"), obs("2025-12-09T12:00:00Z", { ...dated, kind: "article", contentHash: "c" })],
      "2025-12-09T12:00:00Z",
    ],
    [
      "an edited text: changed when the edit was first seen",
      [
        obs("2025-12-09T10:00:00Z", dated),
        obs("2025-12-09T12:00:00Z", { ...dated, contentHash: "b" }),
        obs("2025-12-09T14:00:00Z", { ...dated, contentHash: "b" }),
      ],
      "2025-12-09T12:00:00Z",
    ],
    [
      "a text changed back: changed when it was seen again",
      [obs("2025-12-09T10:00:00Z", dated), obs("2025-12-09T12:00:00Z", { ...dated, contentHash: "b" }), obs("2025-12-09T14:00:00Z", dated)],
      "2025-12-09T14:00:00Z",
    ],
    [
      "new comments: changed when the new count was first seen",
      [
        obs("2025-12-09T10:00:00Z", dated),
        obs("2025-12-09T12:00:00Z", { ...dated, commentCount: 5 }),
        obs("2025-12-09T14:00:00Z", { ...dated, commentCount: 5 }),
      ],
      "2025-12-09T12:00:00Z",
    ],
    [
      "a document without a count changes no count",
      [obs("2025-12-09T10:00:00Z", dated), obs("2025-12-09T12:00:00Z", { ...dated, commentCount: null })],
      "2025-12-09T09:15:00Z",
    ],
    [
      "a more precise date later is no change: updated follows it",
      [obs("2025-12-09T10:00:00Z", { publishedAt: new Date("2025-12-09T07:00:00Z"), precision: "hour" }), obs("2025-12-09T18:00:00Z", dated)],
      "2025-12-09T09:15:00Z",
    ],
    [
      "a date for an undated story is no change",
      [obs("2025-12-09T10:00:00Z"), obs("2025-12-09T18:00:00Z", { publishedAt: new Date("2025-12-09T08:00:00Z"), precision: "hour" })],
      "2025-12-09T08:00:00Z",
    ],
    [
      "two documents of the first instant that differ are no change",
      [obs("2025-12-09T10:00:00Z", dated), obs("2025-12-09T10:00:00Z", { ...dated, contentHash: "b", commentCount: 3 })],
      "2025-12-09T09:15:00Z",
    ],
  ];
  const permutations = (xs: Observation[]): Observation[][] =>
    xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
  it.each(updates)("dates changes by when they were seen: %s", (_, observations, updatedAt) => {
    for (const order of permutations(observations)) expect(derive(order).updatedAt).toEqual(new Date(updatedAt));
  });

  it("gives the stories of one page their own updated unless they changed together", () => {
    const at = "2025-12-09T13:00:00Z";
    const stories = [
      derive([obs(at, { kind: "article", publishedAt: new Date("2025-12-09T12:47:00Z"), precision: "absolute" })]),
      derive([obs(at, { publishedAt: new Date("2025-12-09T12:57:00Z"), precision: "minute" })]),
      derive([obs(at, { publishedAt: new Date("2025-12-09T11:00:00Z"), precision: "hour" })]),
    ];
    expect(stories.map((d) => d.updatedAt.toISOString())).toEqual(["2025-12-09T12:47:00.000Z", "2025-12-09T12:57:00.000Z", "2025-12-09T11:00:00.000Z"]);
  });
});

describe("pages that are not whole", () => {
  const seed = readFileSync(join(import.meta.dirname, "pages", "seed-alaska.txt"), "utf8");
  const at = new Date("2025-12-09T13:00:00Z");
  const lines = seed.split("\n");
  const footer = lines.indexOf("Suchbegriff");

  it("refuses the seed cut after any line before its footer, naming a line", () => {
    for (let n = 0; n < footer; n++) {
      const cut = lines.slice(0, n + 1).join("\n");
      let error: unknown;
      try {
        parsePage(cut, at);
      } catch (e) {
        error = e;
      }
      expect(error, `cut after line ${n + 1}`).toBeInstanceOf(PageFormatError);
      expect((error as PageFormatError).line).toBeGreaterThanOrEqual(1);
      // a line of the file, also when the cut keeps its last line break
      expect((error as PageFormatError).line).toBeLessThanOrEqual(n + 1);
      expect(() => parsePage(`${cut}\n`, at)).toThrow(PageFormatError);
      try {
        parsePage(`${cut}\n`, at);
      } catch (e) {
        expect((e as PageFormatError).line, `cut after line ${n + 1}, with its line break`).toBeLessThanOrEqual(n + 1);
      }
    }
  });

  it("refuses the seed cut in the middle of a teaser's text", () => {
    const at60 = lines.findIndex((l) => l.startsWith("Wiesbaden - Der Frauenanteil"));
    const cut = [...lines.slice(0, at60), lines[at60]!.slice(0, 40), ...lines.slice(at60 + 1)].join("\n");
    expect(() => parsePage(cut, at)).toThrow(/line|teaser/);
    try {
      parsePage(cut, at);
    } catch (e) {
      expect((e as PageFormatError).line).toBe(at60 + 1);
    }
  });

  it("refuses empty, binary and foreign files", () => {
    expect(() => decodePage(new Uint8Array())).toThrow("empty file");
    expect(() => decodePage(new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x00, 0x01]))).toThrow(/binary/);
    expect(() => decodePage(new Uint8Array([0x47, 0x72, 0xfc, 0x0a]))).toThrow(/UTF-8/);
    expect(() => parsePage("   \n\n", at)).toThrow("empty page");
    expect(() => parsePage('{"items": []}', at)).toThrow(/not a news page/);
    expect(() => parsePage("<html><body>Hallo</body></html>", at)).toThrow(/not a news page/);
  });

  it("still reads a page with Windows line ends and a byte-order mark", () => {
    const items = parsePage(`\uFEFF${seed.replace(/\n/g, "\r\n")}`, at);
    expect(items).toHaveLength(17);
  });
});
