/**
 * What a feed path names (parseSelector, selectorKey) and the paging
 * positions of RFC 5005 feeds (formatPosition, parsePosition), alone: a
 * table of paths and what each must give.
 */
import { describe, expect, it } from "vitest";
import { formatPosition, MAX_UNION, parsePosition, parseSelector, selectorKey } from "../../../src/publish/selector";

const slugs = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);

describe("parseSelector", () => {
  it.each([
    { text: "all", selector: { kind: "all" }, key: "all" },
    { text: "ukraine", selector: { kind: "tags", slugs: ["ukraine"] }, key: "ukraine" },
    { text: "ukraine-krieg", selector: { kind: "tags", slugs: ["ukraine-krieg"] }, key: "ukraine-krieg" },
    { text: "g7", selector: { kind: "tags", slugs: ["g7"] }, key: "g7" },
    // a union is sorted and has each tag once: one feed, one cache entry, one canonical address
    { text: "usa+ukraine", selector: { kind: "tags", slugs: ["ukraine", "usa"] }, key: "ukraine+usa" },
    { text: "usa+ukraine+usa", selector: { kind: "tags", slugs: ["ukraine", "usa"] }, key: "ukraine+usa" },
    // "all" in a union is a tag's slug like any other
    { text: "all+usa", selector: { kind: "tags", slugs: ["all", "usa"] }, key: "all+usa" },
    { text: slugs(MAX_UNION).join("+"), selector: { kind: "tags", slugs: slugs(MAX_UNION).sort() }, key: slugs(MAX_UNION).sort().join("+") },
  ])("reads $text as the feed $key", ({ text, selector, key }) => {
    const parsed = parseSelector(text);
    expect(parsed).toEqual(selector);
    expect(selectorKey(parsed!)).toBe(key);
  });

  it.each([
    "",
    "ALL",
    "Ukraine",
    "ukraine.xml",
    "-ukraine",
    "ukraine-",
    "ukraine--krieg",
    "ukr_aine",
    "ukraine ",
    "ukraine+",
    "+ukraine",
    "ukraine++usa",
    "ukraine,usa",
    "über",
    "a/b",
    slugs(MAX_UNION + 1).join("+"),
  ])("is not a selector: %j", (text) => {
    expect(parseSelector(text)).toBeNull();
  });
});

describe("paging positions", () => {
  const id = "0dc597be399d55621b0d4b1902b0f795";

  it("writes the feed date in milliseconds and the item id, and reads them back", () => {
    const position = { feedAt: new Date("2025-12-09T13:00:00.000Z"), id };
    const text = formatPosition(position);
    expect(text).toBe(`1765285200000.${id}`);
    expect(parsePosition(text)).toEqual(position);
  });

  it.each([
    "",
    id,
    `1765285200000.${id.toUpperCase()}`,
    `1765285200000.${id.slice(1)}`,
    `1765285200000.${id}0`,
    `-1.${id}`,
    `1.5.${id}`,
    `1234567890123456.${id}`,
    `x1765285200000.${id}`,
  ])("is not a position: %j", (text) => {
    expect(parsePosition(text)).toBeNull();
  });
});
