/**
 * Data-driven: every tests/pages/NAME.txt is parsed with the fetch time named
 * in NAME.expected.json and must yield exactly the items listed there, in
 * that order, field by field.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePage } from "../src/input/page/parse";
import type { Item } from "../src/normalise/item";

const dir = join(import.meta.dirname, "pages");

interface Expected {
  kind: string;
  title: string;
  kicker: string | null;
  publishedAt: string | null;
  agency: string | null;
  dateline: string | null;
  tags: { slug: string; label: string }[];
  commentCount: number | null;
  summaryContains: string;
  image: { alt: string | null; credit: string | null; caption: string | null } | null;
  contentHeadings?: string[];
  contentContains?: string[];
}

const ws = (s: string) => s.replace(/\s+/gu, " ").trim();
const htmlText = (html: string) =>
  ws(
    html
      .replace(/<[^>]+>/g, " ")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, "&"),
  );

for (const file of readdirSync(dir).filter((f) => f.endsWith(".expected.json"))) {
  const expected = JSON.parse(readFileSync(join(dir, file), "utf8")) as { page: string; fetchedAt: string; items: Expected[] };
  const text = readFileSync(join(dir, expected.page), "utf8");

  describe(`page ${expected.page}`, () => {
    const items = parsePage(text, new Date(expected.fetchedAt));

    it("yields one item per story, in page order", () => {
      expect(items.map((i) => ws(i.title))).toEqual(expected.items.map((e) => ws(e.title)));
    });

    expected.items.forEach((want, index) => {
      it(`${want.kind} "${want.title}"`, () => {
        const got = items[index] as Item;
        expect(got.kind).toBe(want.kind);
        expect(ws(got.title)).toBe(ws(want.title));
        expect(got.kicker).toBe(want.kicker);
        expect(got.publishedAt?.toISOString() ?? null).toBe(want.publishedAt ? new Date(want.publishedAt).toISOString() : null);
        expect(got.agency).toBe(want.agency);
        expect(got.dateline).toBe(want.dateline);
        expect(got.tags).toEqual(want.tags);
        expect(got.commentCount).toBe(want.commentCount);
        expect(got.image).toEqual(want.image);
        // enclosures and thumbnails are for feed entries; a page's image keeps its own form
        expect(got.media).toBeNull();
        expect(ws(got.summary)).toContain(ws(want.summaryContains));
        expect(got.summary).not.toMatch(/\[…\]|\(\d+\)$/u);
        expect(got.guid).toMatch(/^urn:feedwerk:item:[0-9a-f]{32}$/);
        if (want.kind === "article") {
          const html = got.contentHtml ?? "";
          const headings = [...html.matchAll(/<h2>(.*?)<\/h2>/g)].map((m) => htmlText(m[1]!));
          expect(headings).toEqual((want.contentHeadings ?? []).map(ws));
          for (const phrase of want.contentContains ?? []) expect(htmlText(html)).toContain(ws(phrase));
        }
      });
    });

    it("ends the summary of a teaser the portal cut ('[…]') with an ellipsis, not mid-sentence", () => {
      const cut = [...text.matchAll(/^(.*)\n(.*)\[…\]\s*\(\d+\)\s*$/gmu)].map((m) => ws(m[1]!));
      // (a teaser of the article itself is folded into it, and keeps the article's lead)
      for (const teaser of items.filter((i) => i.kind === "teaser")) {
        if (cut.includes(ws(teaser.title))) expect(teaser.summary, teaser.title).toMatch(/\S …$/u);
        else expect(teaser.summary, teaser.title).not.toMatch(/…$/u);
      }
      if (items.some((i) => i.kind === "teaser")) expect(cut.length).toBeGreaterThan(0);
    });

    it("gives every story a distinct guid that does not depend on the fetch time", () => {
      const later = parsePage(text, new Date(Date.parse(expected.fetchedAt) + 7 * 86_400_000));
      expect(new Set(items.map((i) => i.guid)).size).toBe(items.length);
      expect(later.map((i) => i.guid)).toEqual(items.map((i) => i.guid));
    });
  });
}
