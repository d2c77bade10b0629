/**
 * HTML article pages of any site read into items: tests/html/NAME.html with
 * NAME.expected.json, field by field (title, canonical address, dates as
 * stated and as instants, agency and dateline, authors, language, keywords
 * as tags, lead image, standfirst, the main text without what stands beside
 * it, and nothing a page's scripts or handlers could run); error pages and
 * consent walls are no article. Then the three public benchmarks' shares in
 * ../shared/extraction, scored by their own score.py over `parse --jsonl`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeHtml } from "../src/input/html/decode";
import { looksLikeHtml } from "../src/input/html/sniff";
import { readPageDocument } from "../src/input/page-document";
import { readTextPage } from "../src/input/page-reader";
import { readFeedDocument } from "../src/input/feed/read-feed";
import { feedEntries } from "../src/input/feed/to-items";
import { ingestPage } from "../src/pipeline/ingest-page";
import { feedItems } from "../src/storage/queries";
import { storeDocument } from "../src/storage/store-document";
import { tagOverview } from "../src/storage/topics";
import { ROOT } from "./support/cli";
import { forEachDatabase } from "./support/databases";

const dir = join(import.meta.dirname, "html");

interface Expected {
  page: string;
  fetchedAt: string;
  error?: string;
  item?: {
    title: string;
    url: string | null;
    publishedAt: string | null;
    publishedLocal: string | null;
    modifiedAt: string | null;
    agency: string | null;
    dateline: string | null;
    authors: string[];
    language: string | null;
    tags: string[];
    image: string | null;
    summaryContains: string;
    contentContains: string[];
    contentExcludes: string[];
  };
}

for (const file of readdirSync(dir).filter((f) => f.endsWith(".expected.json"))) {
  const want = JSON.parse(readFileSync(join(dir, file), "utf8")) as Expected;
  describe(`HTML page ${want.page}`, () => {
    const bytes = new Uint8Array(readFileSync(join(dir, want.page)));
    const read = () => readPageDocument(bytes, new Date(want.fetchedAt));

    if (want.error) {
      it("is no article", () => {
        expect(read).toThrow(want.error);
      });
      return;
    }
    it("gives the expected article", () => {
      const page = read();
      expect(page.kind).toBe("html");
      if (page.kind !== "html") return;
      const [item] = page.items;
      const w = want.item!;
      expect(page.items).toHaveLength(1);
      expect([item!.kind, item!.title, item!.url]).toEqual(["article", w.title, w.url]);
      expect(item!.publishedAt?.toISOString().replace(".000Z", "Z") ?? null).toBe(w.publishedAt);
      expect([page.extras.publishedLocal, page.extras.modifiedAt]).toEqual([w.publishedLocal, w.modifiedAt]);
      expect([item!.agency, item!.dateline, page.extras.authors, page.extras.language]).toEqual([w.agency, w.dateline, w.authors, w.language]);
      expect(item!.tags.map((t) => t.label)).toEqual(w.tags);
      expect(item!.media?.thumbnail?.url ?? null).toBe(w.image);
      expect(item!.summary).toContain(w.summaryContains);
      for (const c of w.contentContains) expect(item!.contentHtml).toContain(c);
      for (const c of w.contentExcludes) expect(item!.contentHtml).not.toContain(c);
      // never decoded into replacement characters
      expect(JSON.stringify(page)).not.toContain("\uFFFD");
      // the canonical address is the identity a feed entry with the same link has
      if (w.url) expect(item!.id).toBe(readPageDocument(bytes, new Date("2030-01-01T00:00:00Z")).items[0]!.id);
    });
  });
}

describe("telling pages apart", () => {
  it("reads markup as HTML, and a text page, a feed or an outline not", () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    expect(looksLikeHtml(bytes("\uFEFF  <!doctype html><p>x</p>"))).toBe(true);
    expect(looksLikeHtml(bytes("<br />\n<b>Strict</b>"))).toBe(true);
    expect(looksLikeHtml(bytes('<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">'))).toBe(true);
    expect(looksLikeHtml(bytes('<?xml version="1.0"?><rss version="2.0"><channel>'))).toBe(false);
    expect(looksLikeHtml(bytes("Russisch-amerikanischer Gipfel\nUkraine-Verhandlungen"))).toBe(false);
  });

  it("reads an encoding from the HTTP header, a meta tag, else the bytes", () => {
    const latin = Uint8Array.from([...new TextEncoder().encode("<p>Gr"), 0xfc, 0xdf, ...new TextEncoder().encode("e</p>")]);
    expect(decodeHtml(latin)).toBe("<p>Grüße</p>");
    expect(decodeHtml(new TextEncoder().encode("<p>Grüße</p>"), "text/html; charset=iso-8859-1")).toBe("<p>Grüße</p>");
    const koi8 = Uint8Array.from([
      ...new TextEncoder().encode('<meta charset="koi8-r"><p>'),
      0xf0,
      0xd2,
      0xc9,
      0xd7,
      0xc5,
      0xd4,
      ...new TextEncoder().encode("</p>"),
    ]);
    expect(decodeHtml(koi8)).toContain("<p>Привет</p>");
  });

  it("refuses an HTML page where only text pages are read (the Worker), saying where it is read", () => {
    expect(() => readTextPage(new TextEncoder().encode("<!doctype html><p>x</p>"), new Date())).toThrow(
      /HTML pages are read by the Node server and the command line/,
    );
  });
});

describe("parse --jsonl over many pages", () => {
  it("reads them on threads into the lines one page at a time gives, in the files' order, a bad page in its place", () => {
    const pages = readdirSync(dir)
      .filter((f) => /\.html$/.test(f))
      .map((f) => join(dir, f));
    const files = [...pages, join(dir, "missing.html"), ...pages, join(ROOT, "seeds", "000_fd0f4cb902b02a9c.txt")];
    expect(files.length).toBeGreaterThanOrEqual(8);
    const run = (args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", "src/entry/cli/main.ts", "parse", "--jsonl", "--fetched-at", "2026-12-06T08:00:00Z", ...args], {
        cwd: ROOT,
        encoding: "utf8",
      });
    const many = run(files);
    expect(many.status).toBe(1);
    const lines = many.stdout.trimEnd().split("\n");
    expect(lines.map((l) => (JSON.parse(l) as { file: string }).file)).toEqual(files);
    // each line as the page read alone gives it (fewer than eight pages are read in the command's own thread)
    for (const [k, file] of files.entries()) expect(lines[k]).toBe(run([file]).stdout.trimEnd());
    expect(JSON.parse(lines[pages.length]!)).toEqual({ file: join(dir, "missing.html"), error: `${join(dir, "missing.html")}: no such file or folder` });
  }, 120_000);
});

const SHARED = join(ROOT, "..", "shared", "extraction");
// with CI set, a missing share fails instead of being skipped
describe.runIf(existsSync(SHARED) || process.env.CI)("the public benchmarks' shares, scored by their own score.py", () => {
  const score = (kind: string) => {
    const out = mkdtempSync(join(tmpdir(), "feedwerk-extraction-"));
    try {
      const pages = readdirSync(join(SHARED, kind, "pages")).map((f) => join(SHARED, kind, "pages", f));
      const parsed = spawnSync(process.execPath, ["--import", "tsx", "src/entry/cli/main.ts", "parse", "--jsonl", ...pages], {
        cwd: ROOT,
        encoding: "utf8",
        maxBuffer: 512 * 1024 * 1024,
        timeout: 120_000,
      });
      expect(parsed.stdout.split("\n").filter(Boolean)).toHaveLength(pages.length);
      writeFileSync(join(out, "results.jsonl"), parsed.stdout);
      const scored = spawnSync("python3", [join(SHARED, "score.py"), kind, join(out, "results.jsonl"), join(SHARED, kind, "expected.json")], {
        encoding: "utf8",
      });
      expect(scored.status, scored.stderr).toBe(0);
      console.log(scored.stdout.trim());
      return scored.stdout;
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  };

  it("reads the main text with an F1 of 0.90 or more", () => {
    expect(Number(/F1 (\d\.\d+)/.exec(score("text"))![1])).toBeGreaterThanOrEqual(0.9);
  }, 180_000);

  it("finds the publication day with an accuracy of 0.88 or more", () => {
    expect(Number(/accuracy (\d\.\d+)/.exec(score("dates"))![1])).toBeGreaterThanOrEqual(0.88);
  }, 180_000);

  it("gets 95 % of the titles and publication times right", () => {
    const [, titles, titled, times, timed] = /title (\d+)\/(\d+), publishedTime (\d+)\/(\d+)/.exec(score("metadata"))!.map(Number);
    expect(titles! / titled!).toBeGreaterThanOrEqual(0.95);
    expect(times! / timed!).toBeGreaterThanOrEqual(0.95);
  }, 180_000);
});

forEachDatabase("an article page stored beside a feed entry", (db) => {
  it("is one story with the feed's entry that links to it, and the page's text and keywords (explicit tags)", async () => {
    const rss = `<?xml version="1.0"?><rss version="2.0"><channel><title>Beispiel</title><link>https://www.beispiel-zeitung.de/</link><description>d</description>
<item><title>Koalition einigt sich auf Haushalt</title><link>https://www.beispiel-zeitung.de/politik/koalition-einigt-sich-auf-haushalt-100.html?utm_campaign=rss</link><description>Kurz.</description></item></channel></rss>`;
    const feed = await readFeedDocument(new TextEncoder().encode(rss), null);
    const entries = feedEntries(feed, "beispiel", "https://www.beispiel-zeitung.de/rss.xml", new Date("2025-12-09T08:00:00Z"));
    await storeDocument(db.db, {
      source: { kind: "feed", name: "beispiel" },
      name: "rss",
      sha256: "1".repeat(64),
      fetchedAt: new Date("2025-12-09T08:00:00Z"),
      ...entries,
      identity: { entryKeys: entries.entryKeys, retiredIds: entries.retiredIds },
    });
    const page = {
      name: "zeitung-artikel.html",
      bytes: new Uint8Array(readFileSync(join(dir, "zeitung-artikel.html"))),
      fetchedAt: new Date("2025-12-09T09:00:00Z"),
    };
    const report = await ingestPage(db.db, page, readPageDocument);
    expect([report.new, report.updated]).toEqual([0, 1]);
    const stored = await feedItems(db.db, { tagIds: null, limit: 10 });
    expect(stored).toHaveLength(1);
    expect(stored[0]!.contentHtml).toContain("Nach einer langen Verhandlungsnacht");
    expect((await tagOverview(db.db)).tags.find((t) => t.slug === "schuldenbremse")).toMatchObject({ match: "explicit", origin: "feed", items: 1 });
  });
});
