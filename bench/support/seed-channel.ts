/** A 50-item channel from the seed page: the seed's 17 stories, repeated with distinct ids, as a tag feed shows them. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parsePage } from "../../src/input/page/parse";
import type { FeedChannel } from "../../src/publish/feed-model";
import type { FeedItem } from "../../src/storage/queries";

export const seedPage = readFileSync(join(import.meta.dirname, "..", "..", "seeds", "000_fd0f4cb902b02a9c.txt"), "utf8");
export const seedFetchedAt = new Date("2025-12-09T13:00:00Z");

export function seedChannel(size = 50): FeedChannel {
  const parsed = parsePage(seedPage, seedFetchedAt);
  const items: FeedItem[] = Array.from({ length: size }, (_, i) => {
    const item = parsed[i % parsed.length]!;
    return {
      ...item,
      id: `${item.id.slice(0, 30)}${String(i).padStart(2, "0")}`,
      guid: `${item.guid}-${i}`,
      firstSeenAt: seedFetchedAt,
      updatedAt: seedFetchedAt,
      feedAt: item.publishedAt ?? seedFetchedAt,
      memberOf: item.tags.length ? item.tags : [{ slug: "ukraine", label: "Ukraine" }],
    };
  });
  const base = "https://feeds.example.org";
  return { key: "ukraine", label: "Ukraine", base, homeUrl: `${base}/feeds/ukraine`, selfUrl: `${base}/feeds/ukraine.xml`, items };
}
