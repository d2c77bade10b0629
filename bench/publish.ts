/**
 * `npm run bench:publish`: the publisher under load, in figures relative to
 * a baseline measured against the same server process in the same run: a
 * static route returning a body of the same size as the feed.
 *
 * The server runs in a child process (this file with --serve), so that the
 * load generator (autocannon) does not share its event loop. Scenarios:
 * baseline, cache hits, 304 revalidations, cache misses (each request a new
 * key, so a query and a render of 50 items), and the render alone in-process.
 */
import { fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import autocannon from "autocannon";
import { serve } from "@hono/node-server";
import { nodeCompressors } from "../src/entry/compressors";
import { ingestPage } from "../src/pipeline/ingest-page";
import { createApp } from "../src/publish/app";
import { renderFeed } from "../src/publish/feed-formats";

import { feedItems } from "../src/storage/queries";
import { benchDatabase } from "./support/database";

const DURATION = Number(process.env.BENCH_SECONDS ?? 15);
const ROUNDS = 5;
const CONNECTIONS = 16;
const root = join(import.meta.dirname, "..");

interface Ready {
  port: number;
  feedPath: string;
  etag: string;
  feedBytes: number;
  renderMedianMs: number;
}

if (process.argv.includes("--serve")) await runServer();
else await runBench();

async function runServer(): Promise<void> {
  const { opened, dispose } = await benchDatabase();
  await opened.migrate();
  // 60 distinct stories in tag "bench": the winter page's teasers under six headline variants
  const template = readFileSync(join(root, "tests/pages/winter-no-image.txt"), "utf8");
  for (let i = 0; i < 6; i++) {
    const page = template
      .replace("Frankreich / Politik / Haushalt / Österreich / Fußball & Gesellschaft", "Bench / Frankreich / Politik")
      .split("\n")
      .map((line, n, lines) => (n > 0 && lines[n + 1]?.includes("(0") && !line.startsWith("vor ") ? `${line} · Folge ${i}` : line))
      .join("\n")
      .replace("Französischer Premier stellt Vertrauensfrage", `Französischer Premier stellt Vertrauensfrage (${i})`);
    await ingestPage(opened.db, {
      name: `bench-${i}`,
      bytes: new TextEncoder().encode(page),
      fetchedAt: new Date(Date.UTC(2026, 0, 15, 9 + i)),
    });
  }
  // Every teaser mentions nothing of "bench"; tag them all through the union with "all" instead:
  const feedPath = "/feeds/all.xml";
  const app = createApp({ db: opened.db, compressors: nodeCompressors });
  // What a static file server sends: the bytes and the same kind of headers, all constant.
  // Registered before the first request (Hono builds its router then); filled in below.
  let baseline = new Uint8Array();
  let baselineHeaders: Record<string, string> = {};
  app.get("/__baseline", () => new Response(baseline, { status: 200, headers: baselineHeaders }));

  const items = await feedItems(opened.db, { tagIds: null, limit: 50 });
  if (items.length < 50) throw new Error(`bench data has only ${items.length} items`);
  const channel = { key: "all", label: "Alle", base: "http://127.0.0.1", homeUrl: "http://127.0.0.1/", selfUrl: "http://127.0.0.1/feeds/all.xml", items };
  const times: number[] = [];
  for (let i = 0; i < 400; i++) {
    const t = performance.now();
    renderFeed("rss", channel);
    if (i >= 100) times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);

  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  setInterval(sample, 50).unref();

  // the feed as served (the base URL is the same once listening), and a constant body of its size
  const res = await app.fetch(new Request(`http://127.0.0.1${feedPath}`));
  const body = new Uint8Array(await res.arrayBuffer());
  baseline = body.slice();
  baselineHeaders = {
    "Content-Type": "application/rss+xml; charset=utf-8",
    "Cache-Control": "public, max-age=300",
    "Last-Modified": res.headers.get("last-modified")!,
    ETag: '"static-0123456789abcdef0123456789"',
    Vary: "Accept-Encoding",
    "Content-Length": String(baseline.length),
  };

  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, async (info) => {
    const served = await fetch(`http://127.0.0.1:${info.port}${feedPath}`);
    await served.arrayBuffer();
    const ready: Ready = {
      port: info.port,
      feedPath,
      etag: served.headers.get("etag")!,
      feedBytes: body.length,
      renderMedianMs: times[Math.floor(times.length / 2)]!,
    };
    process.send!({ ready });
  });
  process.on("message", async (message: { stop?: boolean }) => {
    if (!message.stop) return;
    sample();
    process.send!({ peak: { rss: peakRss, heap: peakHeap, database: opened.description } });
    server.close();
    // requests the load generator left in flight finish before the database goes
    await new Promise((resolve) => setTimeout(resolve, 500));
    await opened.close();
    await dispose();
    process.exit(0);
  });
}

function once<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Record<string, unknown>) => {
      if (key in m) {
        child.off("message", onMessage);
        resolve(m[key] as T);
      }
    };
    child.on("message", onMessage);
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
}

async function load(name: string, options: autocannon.Options): Promise<{ name: string; rps: number; p50: number; p99: number; non2xx: number }> {
  const result = await autocannon({ connections: CONNECTIONS, duration: DURATION, ...options });
  return { name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx };
}

async function runBench(): Promise<void> {
  const child = fork(new URL(import.meta.url).pathname, ["--serve"], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const ready = await once<Ready>(child, "ready");
  const url = `http://127.0.0.1:${ready.port}`;
  console.log(
    `feed ${ready.feedPath}: ${ready.feedBytes} bytes, 50 items; ${CONNECTIONS} connections; ` +
      `baseline, hits and 304s in ${ROUNDS} alternating rounds (median shown), ${DURATION} s each in all\n`,
  );

  // warm up both paths so the JIT and the cache are in their steady state
  await load("warm-up", { url: `${url}/__baseline`, duration: 2 });
  await load("warm-up", { url: `${url}${ready.feedPath}`, duration: 2 });

  // Baseline, hits and 304s take turns over several rounds, each figure the median of its
  // rounds, so that a burst of load from elsewhere on the machine hits them all alike.
  const rounds: Awaited<ReturnType<typeof load>>[][] = [[], [], []];
  const roundSeconds = Math.max(2, Math.round(DURATION / ROUNDS));
  for (let r = 0; r < ROUNDS; r++) {
    rounds[0]!.push(await load("baseline: static body of the same size", { url: `${url}/__baseline`, duration: roundSeconds }));
    rounds[1]!.push(await load("cache hit", { url: `${url}${ready.feedPath}`, duration: roundSeconds }));
    rounds[2]!.push(await load("304 revalidation", { url: `${url}${ready.feedPath}`, headers: { "if-none-match": ready.etag }, duration: roundSeconds }));
  }
  const median = (runs: Awaited<ReturnType<typeof load>>[]) => [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)]!;

  let miss = 0;
  const results = [
    median(rounds[0]!),
    median(rounds[1]!),
    median(rounds[2]!),
    await load("cache miss: query + render of 50 items", {
      url,
      requests: [
        {
          // a position in the far future and a new one each time: the newest 50 items, a new cache key
          setupRequest: (req: autocannon.Request) => ({ ...req, path: `${ready.feedPath}?before=${9_000_000_000_000 + miss++}.${"f".repeat(32)}` }),
        },
      ],
    }),
  ];
  child.send({ stop: true });
  const peak = await once<{ rss: number; heap: number; database: string }>(child, "peak");

  const base = results[0]!.rps;
  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(`${pad("scenario", 42)}${pad("req/s", 10)}${pad("p50 ms", 8)}${pad("p99 ms", 8)}ratio to baseline`);
  for (const r of results) {
    const errors = r.non2xx && !r.name.startsWith("304") ? `  (${r.non2xx} non-2xx!)` : "";
    console.log(`${pad(r.name, 42)}${pad(r.rps.toFixed(0), 10)}${pad(String(r.p50), 8)}${pad(String(r.p99), 8)}${(r.rps / base).toFixed(2)}${errors}`);
  }
  console.log(`\nrender of 50 items alone (RSS, in the server process): median ${ready.renderMedianMs.toFixed(2)} ms`);
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
  console.log(`server peak memory: RSS ${mib(peak.rss)}${peak.database.startsWith("embedded") ? " (PGlite reserves most of it at start)" : ""}, JS heap ${mib(peak.heap)}; database: ${peak.database}`);
  const hit = results[1]!.rps / base;
  const revalidate = results[2]!.rps / base;
  console.log(
    `\ntargets: cache hit >= 0.90 x baseline: ${hit.toFixed(2)} ${hit >= 0.9 ? "met" : "MISSED"}; ` +
      `304 >= 1.00 x baseline: ${revalidate.toFixed(2)} ${revalidate >= 1 ? "met" : "MISSED"}; ` +
      `render <= 2 ms: ${ready.renderMedianMs.toFixed(2)} ${ready.renderMedianMs <= 2 ? "met" : "MISSED"}`,
  );
}
