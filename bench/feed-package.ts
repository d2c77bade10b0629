/**
 * `npm run bench:feed-package`: feedwerk's own feed writers against the npm
 * package `feed` (bench/support/feed-package.ts), on the evidence the
 * docs/design.md's "Why feedwerk writes its own feeds" cites.
 *
 * 1. What each writes for items a feed must survive (markup in a title, "]]>"
 *    twice in the content, a control character, "<" in a tag's label, a
 *    podcast's two files and thumbnail, "&" in URLs, paging links), one
 *    hazard per feed, judged by libxml2 (well-formed XML) and searched for
 *    what was lost.
 * 2. The time to render the seed's 50-item feed: both writers take turns over
 *    several rounds; each round's median of the package is divided by the
 *    median of feedwerk's writer in that same round, and the median ratio is
 *    reported beside the medians.
 */
import { performance } from "node:perf_hooks";
import { validateXML } from "xmllint-wasm";
import { renderFeed, type FeedChannel, type FeedFormat } from "../src/publish/feed-formats";
import type { FeedItem } from "../src/storage/queries";
import { renderWithFeedPackage } from "./support/feed-package";
import { seedChannel } from "./support/seed-channel";

const FORMATS: FeedFormat[] = ["rss", "atom", "json"];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const RENDERS = Number(process.env.BENCH_RENDERS ?? 200);
const writers = { feedwerk: renderFeed, "feed package": renderWithFeedPackage } as const;

const withSelf = (channel: FeedChannel, format: FeedFormat, query = ""): FeedChannel => ({
  ...channel,
  selfUrl: `${channel.base}/feeds/${channel.key}.${format === "rss" ? "xml" : format}${query}`,
});

/** One hazard each: an item a feed must carry through unharmed. */
const HAZARDS: Record<string, (item: FeedItem) => FeedItem> = {
  'markup in a title ("Vector<T> & <b>Co</b>")': (item) => ({ ...item, title: "Vector<T> & <b>Co</b>" }),
  '"]]>" twice in the content': (item) => ({ ...item, contentHtml: "<p>a ]]> b ]]> c</p>" }),
  "a control character (U+0001) in a title": (item) => ({ ...item, title: "Steuer\u0001reform" }),
  'a tag labelled "C++ <Templates>"': (item) => ({ ...item, memberOf: [{ slug: "c-plus-plus", label: "C++ <Templates>" }] }),
  "a podcast episode: mp3 and mp4, a thumbnail, & in the URL": (item) => ({
    ...item,
    media: {
      enclosures: [
        { url: "https://cdn.example.org/ep1.mp3?a=1&b=2", type: "audio/mpeg", length: 12_345_678, durationSeconds: 1830, title: null },
        { url: "https://cdn.example.org/ep1.mp4", type: "video/mp4", length: null, durationSeconds: null, title: "Video" },
      ],
      thumbnail: { url: "https://cdn.example.org/ep1.jpg", width: 600, height: 600 },
    },
  }),
};

/** A one-item feed with the hazard, a search in its own address and paging links. */
function hazardChannel(format: FeedFormat, hazard: (item: FeedItem) => FeedItem): FeedChannel {
  const seed = seedChannel(1);
  const ext = format === "rss" ? "xml" : format;
  return {
    ...withSelf(seed, format, "?q=a&limit=1"),
    paging: { first: `${seed.base}/feeds/ukraine.${ext}?limit=1`, next: `${seed.base}/feeds/ukraine.${ext}?limit=1&before=x` },
    items: seed.items.map(hazard),
  };
}

/** libxml2's verdict: "well-formed", else its first complaint. */
async function xmlVerdict(xml: string): Promise<string> {
  const result = await validateXML({ xml: [{ fileName: "feed", contents: xml }], normalization: "format" });
  if (result.valid) return "well-formed";
  return `NOT well-formed (libxml2: ${(result.errors[0]?.rawMessage.split("\n")[0] ?? "").replace(/^feed:(\d+): parser error : /, "line $1: ").trim()})`;
}

/** What a reader finds of the item: title as XML text, paging links, media, the tag's label. */
function carried(format: FeedFormat, body: string): string {
  if (format === "json") {
    const feed = JSON.parse(body) as {
      version: string;
      next_url?: string;
      items: { title: string; attachments?: unknown[]; tags?: string[]; image?: string; date_published: string }[];
    };
    const item = feed.items[0]!;
    return `version ${feed.version.replace("https://jsonfeed.org/version/", "")}, next_url ${feed.next_url ? "yes" : "no"}, title ${JSON.stringify(item.title)}, ${item.attachments?.length ?? 0} attachments, image ${item.image ? "yes" : "no"}, date ${item.date_published}`;
  }
  const count = (re: RegExp) => (body.match(re) ?? []).length;
  const types = [...body.matchAll(/<(?:enclosure|link rel="enclosure")[^>]*?type="([^"]+)"/g)].map((m) => m[1]);
  const title = body.match(/<entry>[\s\S]*?(<title[^>]*>[\s\S]*?<\/title>)|<item>[\s\S]*?(<title[^>]*>[\s\S]*?<\/title>)/);
  return [
    `title ${JSON.stringify(title?.[1] ?? title?.[2] ?? "")}`,
    `${count(/rel="(?:next|first)"/g)} paging links`,
    `${count(/<(?:enclosure|link rel="enclosure")/g) + count(/<media:content/g)} files (enclosure types ${types.join(", ") || "none"})`,
    `${count(/<media:thumbnail/g)} thumbnails`,
  ].join("; ");
}

async function judge(): Promise<void> {
  for (const [hazard, apply] of Object.entries(HAZARDS)) {
    console.log(`${hazard}:`);
    for (const format of FORMATS) {
      for (const [name, render] of Object.entries(writers)) {
        const body = render(format, hazardChannel(format, apply));
        const verdict = format === "json" ? "JSON" : await xmlVerdict(body);
        console.log(`  ${format.padEnd(4)} ${name.padEnd(12)} ${verdict}\n${" ".repeat(20)}${carried(format, body)}`);
      }
    }
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function time(render: (format: FeedFormat, channel: FeedChannel) => string, format: FeedFormat, channel: FeedChannel): number[] {
  const times: number[] = [];
  for (let i = 0; i < RENDERS; i++) {
    const start = performance.now();
    render(format, channel);
    times.push(performance.now() - start);
  }
  return times;
}

function timing(): void {
  const seed = seedChannel(50);
  console.log(`\nRendering the seed's 50-item feed: ${ROUNDS} rounds of ${RENDERS} renders each, writers taking turns`);
  for (const format of FORMATS) {
    const channel = withSelf(seed, format);
    for (const render of Object.values(writers)) time(render, format, channel); // warm-up
    const all: Record<string, number[]> = { feedwerk: [], "feed package": [] };
    const ratios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const ours = time(renderFeed, format, channel);
      const theirs = time(renderWithFeedPackage, format, channel);
      all.feedwerk!.push(...ours);
      all["feed package"]!.push(...theirs);
      ratios.push(median(theirs) / median(ours));
    }
    const ms = (xs: number[]) => `${median(xs).toFixed(3)} ms`;
    console.log(
      `  ${format.padEnd(4)} feedwerk median ${ms(all.feedwerk!)}, feed package median ${ms(all["feed package"]!)}: ` +
        `the package takes ${median(ratios).toFixed(2)} × as long (rounds ${Math.min(...ratios).toFixed(2)} to ${Math.max(...ratios).toFixed(2)})`,
    );
  }
}

await judge();
timing();
