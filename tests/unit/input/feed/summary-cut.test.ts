/**
 * A summary or title cut to its length never ends in half of a surrogate pair: a lone surrogate is no
 * text PostgreSQL can store, and a feed of long emoji-laden descriptions would fail to store.
 */
import { describe, expect, it } from "vitest";
import { readFetchedFeed } from "../../../../src/input/feed/reader";

const feedOf = (title: string, description: string) =>
  new TextEncoder().encode(
    `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>https://example.org/</link><description>d</description>` +
      `<item><title>${title}</title><link>https://example.org/1</link><guid>g1</guid><description>${description}</description></item></channel></rss>`,
  );

async function onlyItem(title: string, description: string) {
  const read = await readFetchedFeed({
    bytes: feedOf(title, description),
    contentType: "application/rss+xml",
    namespace: "cut",
    url: "https://example.org/feed.xml",
    fetchedAt: new Date("2026-12-06T12:00:00Z"),
  });
  return read.entries!.items[0]!;
}

describe("cutting a summary or a title", () => {
  // 600 and 1,000 UTF-16 units: an odd count of "a" before the emoji puts a pair across the cut
  it.each([1, 2])("keeps surrogate pairs whole (%i letters before the emoji)", async (letters) => {
    const item = await onlyItem("b".repeat(letters) + "😀".repeat(600), "a".repeat(letters) + "😀".repeat(400));
    for (const text of [item.summary, item.title]) {
      expect(text.isWellFormed()).toBe(true);
      expect(text.endsWith(" …")).toBe(true);
    }
    expect(item.summary.length).toBeLessThanOrEqual(600 + 2);
  });
});
