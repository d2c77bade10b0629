/**
 * `npm run bench:aggregate`: one polling pass over 1,000 feeds of 50 entries
 * each from a local server (first pass: everything new), then a second
 * (every feed answers 304). The baseline, measured in the same run, is the
 * same fetcher fetching every feed's bytes and doing nothing with them.
 */
import { createServer } from "node:http";
import { AddressPolicy } from "../src/input/fetch/address-policy";
import { DEFAULT_LIMITS, FeedFetcher } from "../src/input/fetch/http-fetch";
import { pollFeeds } from "../src/pipeline/poll-feeds";

import { sources } from "../src/storage/schema";
import { benchDatabase } from "./support/database";

const FEEDS = Number(process.env.BENCH_FEEDS ?? 1000);
const ENTRIES = 50;
const CONCURRENCY = 16;

function feedXml(n: number): string {
  const items = Array.from({ length: ENTRIES }, (_, i) => {
    const date = new Date(Date.UTC(2025, 11, 9, 12, 0) - (n * ENTRIES + i) * 60_000).toUTCString();
    return `<item><title>Meldung ${i} aus Feed ${n}: Regierung berät über Haushalt</title><link>https://feed${n}.example.org/artikel/${i}</link>` +
      `<guid isPermaLink="false">feed${n}-${i}</guid><pubDate>${date}</pubDate><category>Thema ${n % 20}</category>` +
      `<description><![CDATA[<p>Zusammenfassung der Meldung ${i} mit <a href="/mehr/${i}">mehr</a> Text, damit es nach etwas aussieht.</p>]]></description></item>`;
  }).join("\n");
  return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed ${n}</title><link>https://feed${n}.example.org/</link><description>b</description><ttl>30</ttl>\n${items}\n</channel></rss>`;
}

const bodies = Array.from({ length: FEEDS }, (_, n) => Buffer.from(feedXml(n)));
const server = createServer((req, res) => {
  const n = Number(/^\/feed\/(\d+)\.xml$/.exec(req.url ?? "")?.[1] ?? -1);
  if (!(n >= 0 && n < FEEDS)) return res.writeHead(404).end();
  if (req.headers["if-none-match"] === `"v${n}"`) return res.writeHead(304).end();
  res.writeHead(200, { "content-type": "application/rss+xml; charset=utf-8", etag: `"v${n}"` }).end(bodies[n]);
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

const { opened, dispose } = await benchDatabase();
await opened.migrate();
for (let i = 0; i < FEEDS; i += 500) {
  await opened.db.insert(sources).values(
    Array.from({ length: Math.min(500, FEEDS - i) }, (_, k) => ({ kind: "feed" as const, name: `feed-${i + k}`, url: `${base}/feed/${i + k}.xml` })),
  );
}
const fetcher = new FeedFetcher(new AddressPolicy(["127.0.0.1"]), { ...DEFAULT_LIMITS, perHost: CONCURRENCY });

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

async function timed<T>(run: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t = performance.now();
  const value = await run();
  return { seconds: (performance.now() - t) / 1000, value };
}

// baseline: the same fetches, the bytes thrown away
const baseline = await timed(async () => {
  const queue = Array.from({ length: FEEDS }, (_, n) => n);
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let n = queue.shift(); n !== undefined; n = queue.shift()) await fetcher.fetch(`${base}/feed/${n}.xml`);
    }),
  );
});
const first = await timed(() => pollFeeds(opened.db, fetcher, { all: true, concurrency: CONCURRENCY }));
const second = await timed(() => pollFeeds(opened.db, fetcher, { all: true, concurrency: CONCURRENCY }));
clearInterval(sampler);

const failed = first.value.failed + second.value.failed;
const items = first.value.new;
const rate = (s: number) => FEEDS / s;
const base1 = rate(baseline.seconds);
console.log(`${FEEDS} feeds × ${ENTRIES} entries from a local server, ${CONCURRENCY} at a time; database: ${opened.description}\n`);
console.log("pass                                   feeds/s   items/s   ratio to baseline");
console.log(`baseline: fetch only, bytes discarded  ${base1.toFixed(0).padEnd(9)} -         1.00`);
console.log(`first pass (all new)                   ${rate(first.seconds).toFixed(0).padEnd(9)} ${(items / first.seconds).toFixed(0).padEnd(9)} ${(rate(first.seconds) / base1).toFixed(2)}`);
console.log(`second pass (all 304)                  ${rate(second.seconds).toFixed(0).padEnd(9)} -         ${(rate(second.seconds) / base1).toFixed(2)}`);
console.log(`\nitems stored: ${items}; failures: ${failed}`);
console.log(`peak memory (RSS): ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);
console.log(
  `targets: first pass >= 200 feeds/s: ${rate(first.seconds).toFixed(0)} ${rate(first.seconds) >= 200 ? "met" : "MISSED"}; ` +
    `second pass >= 1000 feeds/s: ${rate(second.seconds).toFixed(0)} ${rate(second.seconds) >= 1000 ? "met" : "MISSED"}`,
);
await fetcher.close();
server.close();
await opened.close();
await dispose();
