/**
 * `npm run bench`: the cost of reading a page and rendering a feed, each
 * next to a baseline measured in the same run (the summary prints ratios),
 * since absolute figures on shared machines mean little.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bench, describe } from "vitest";
import { parsePage } from "../src/input/page/parse";
import { renderFeed } from "../src/publish/feed-formats";
import type { FeedItem } from "../src/storage/queries";

const page = readFileSync(join(import.meta.dirname, "..", "seeds", "000_fd0f4cb902b02a9c.txt"), "utf8");
const fetchedAt = new Date("2025-12-09T13:00:00Z");

describe("reading the seed page (14 KB, 17 stories)", () => {
  bench("baseline: split into lines and trim each", () => {
    page.split(/\r\n|\r|\n/).map((l) => l.trim());
  });
  bench("parsePage", () => {
    parsePage(page, fetchedAt);
  });
});

// 50 items: the seed's 17 stories, repeated with distinct ids.
const parsed = parsePage(page, fetchedAt);
const items: FeedItem[] = Array.from({ length: 50 }, (_, i) => {
  const item = parsed[i % parsed.length]!;
  return {
    ...item,
    id: `${item.id.slice(0, 30)}${String(i).padStart(2, "0")}`,
    guid: `${item.guid}-${i}`,
    firstSeenAt: fetchedAt,
    updatedAt: fetchedAt,
    memberOf: item.tags.length ? item.tags : [{ slug: "ukraine", label: "Ukraine" }],
  };
});
const base = "https://feeds.example.org";
const channel = { key: "ukraine", label: "Ukraine", base, homeUrl: `${base}/feeds/ukraine`, selfUrl: `${base}/feeds/ukraine.xml`, items };

describe("rendering a 50-item feed", () => {
  bench("baseline: JSON.stringify of the same items", () => {
    JSON.stringify(items);
  });
  bench("RSS 2.0", () => {
    renderFeed("rss", channel);
  });
  bench("Atom 1.0", () => {
    renderFeed("atom", channel);
  });
  bench("JSON Feed 1.1", () => {
    renderFeed("json", channel);
  });
});
