/**
 * `npm run bench`: the cost of reading a page and rendering a feed, each
 * next to a baseline measured in the same run (the summary prints ratios),
 * since absolute figures on shared machines mean little.
 */
import { bench, describe } from "vitest";
import { parsePage } from "../src/input/page/parse";
import { renderFeed } from "../src/publish/feed-formats";
import { renderWithFeedPackage } from "./support/feed-package";
import { seedChannel, seedFetchedAt as fetchedAt, seedPage as page } from "./support/seed-channel";

describe("reading the seed page (14 KB, 17 stories)", () => {
  bench("baseline: split into lines and trim each", () => {
    page.split(/\r\n|\r|\n/).map((l) => l.trim());
  });
  bench("parsePage", () => {
    parsePage(page, fetchedAt);
  });
});

// 50 items: the seed's 17 stories, repeated with distinct ids.
const channel = seedChannel(50);
const items = channel.items;

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

// The npm package `feed`, extended as far as its options reach (bench/support/feed-package.ts):
// the comparison behind docs/design.md's "Why feedwerk writes its own feeds" (npm run bench:feed-package).
describe("rendering a 50-item feed with the `feed` package", () => {
  bench("baseline: JSON.stringify of the same items", () => {
    JSON.stringify(items);
  });
  bench("RSS 2.0 (feed package)", () => {
    renderWithFeedPackage("rss", channel);
  });
  bench("Atom 1.0 (feed package)", () => {
    renderWithFeedPackage("atom", channel);
  });
  bench("JSON Feed (feed package)", () => {
    renderWithFeedPackage("json", channel);
  });
});
