/**
 * `npm run bench:publish`: feedwerk's Node server under load, in figures
 * relative to a bare Hono app answering every GET with the same feed bytes
 * (../shared/bench/bare-hono.mjs, or BARE_HONO): the fastest a Hono app on
 * Node answers with those bytes. A baseline inside feedwerk's own app would
 * hide what every request pays there.
 *
 * Three processes: feedwerk's server (this file with --serve, started by
 * startServer as `serve` does), the bare app, and the load generator (wrk
 * when installed, else autocannon in this process). Baseline, cache hits and
 * 304 revalidations take turns over several rounds; each round gives a ratio
 * to the baseline of that same round, and the median ratio is reported, so
 * load from elsewhere on the machine hits all three alike. Then cache misses
 * (each request a new key, so a query and a render of 50 items), and the
 * render alone in the server process.
 */
import { spawn, spawnSync, fork, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import autocannon from "autocannon";
import { ServerMetrics } from "../src/entry/node/metrics";
import { startServer } from "../src/entry/node/server";
import { listPageFiles, readPageFile } from "../src/input/page-files";
import { ingestPage } from "../src/pipeline/ingest-page";
import { renderFeed } from "../src/publish/feed-formats";
import { feedItems } from "../src/storage/queries";
import { benchDatabase } from "./support/database";

const ROUND_SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = 32;
const root = join(import.meta.dirname, "..");
const BARE_HONO = process.env.BARE_HONO ?? join(root, "../shared/bench/bare-hono.mjs");
const WRK = ["/usr/bin/wrk", "/usr/local/bin/wrk"].find((path) => existsSync(path));
const HIT_PATH = "/feeds/ukraine.xml";
const MISS_PATH = "/feeds/all.xml";

interface Ready {
  url: string;
  renderMedianMs: number;
}

interface Load {
  rps: number;
  p50: number;
  p99: number;
  /** Answers other than 2xx and 3xx, and requests that failed or timed out (10 s). */
  errors: number;
  requests: number;
  /** Processor time the server spent per request, in µs (NaN where /proc cannot say). */
  cpuUs: number;
}

/** Processor time a process has used so far, in µs, from /proc (Linux); NaN elsewhere. */
function cpuTimeUs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
    // utime and stime, fields 14 and 15 of the line, in clock ticks of 10 ms
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return NaN;
  }
}

async function runServer(): Promise<void> {
  const { opened, dispose } = await benchDatabase();
  await opened.migrate();
  // what `npm start` serves: the seed pages
  for (const file of (await listPageFiles([join(root, "seeds")])).files) {
    const { path, bytes, fetchedAt } = await readPageFile(file);
    await ingestPage(opened.db, { name: path, bytes, fetchedAt });
  }
  // and 60 more stories, so that a miss renders 50 items: the winter page's teasers under six headline variants
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

  // the loopback address the bare app listens on, and `npm start` too: the same network path for both
  // with its metrics counting, as `serve` runs it: every request pays for them
  const metrics = new ServerMetrics({ db: opened.db, pools: [{ name: "requests", maxConnections: opened.maxConnections }] });
  const server = await startServer(opened.db, {
    port: 0,
    hostname: "127.0.0.1",
    metrics: { counters: metrics, access: { token: undefined, behindProxy: false } },
  });
  process.send!({ ready: { url: server.url, renderMedianMs: times[Math.floor(times.length / 2)]! } satisfies Ready });
  process.on("message", async (message: { stop?: boolean }) => {
    if (!message.stop) return;
    sample();
    process.send!({ peak: { rss: peakRss, heap: peakHeap, database: opened.description } });
    // requests the load generator left in flight finish before the database goes
    await Promise.race([server.close(), new Promise((resolve) => setTimeout(resolve, 1_000))]);
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function answering(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`${BARE_HONO} exited with ${child.exitCode}`);
    try {
      await (await fetch(url)).arrayBuffer();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`${url} does not answer`);
}

/** wrk's "1.23ms" (or us, s) in milliseconds. */
function wrkMs(text: string | undefined): number {
  const m = /([\d.]+)(us|ms|s)/.exec(text ?? "");
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1);
}

/** `connections` clients asking for `path` (or a new path each time) for `seconds`, from a process of its own. */
async function load(server: ChildProcess, url: string, seconds: number, options: { header?: [string, string]; pathOf?: "new-position" } = {}): Promise<Load> {
  const before = cpuTimeUs(server.pid);
  const result = await generate(url, seconds, options);
  return { ...result, cpuUs: (cpuTimeUs(server.pid) - before) / result.requests };
}

async function generate(url: string, seconds: number, options: { header?: [string, string]; pathOf?: "new-position" }): Promise<Omit<Load, "cpuUs">> {
  if (WRK) {
    const args = ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--timeout", "10s", "--latency"];
    if (options.header) args.push("-H", `${options.header[0]}: ${options.header[1]}`);
    let dir: string | undefined;
    if (options.pathOf) {
      // a position in the far future and a new one each time: the newest 50 items under a new cache key
      dir = mkdtempSync(join(tmpdir(), "feedwerk-bench-"));
      const path = new URL(url).pathname;
      writeFileSync(
        join(dir, "miss.lua"),
        `n = 0\nrequest = function()\n  n = n + 1\n  return wrk.format(nil, "${path}?before=" .. (9000000000000 + n) .. ".${"f".repeat(32)}")\nend\n`,
      );
      args.push("-s", join(dir, "miss.lua"));
    }
    const run = spawnSync(WRK, [...args, url], { encoding: "utf8" });
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (run.status !== 0) throw new Error(`wrk failed: ${run.stderr || run.stdout}`);
    const out = run.stdout;
    return {
      rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
      requests: Number(/(\d+) requests in/.exec(out)?.[1]),
      p50: wrkMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1]),
      p99: wrkMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1]),
      errors:
        Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0) +
        (/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/
          .exec(out)
          ?.slice(1)
          .reduce((n, v) => n + Number(v), 0) ?? 0),
    };
  }
  let n = 0;
  const path = new URL(url).pathname;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    timeout: 10,
    headers: options.header ? { [options.header[0]]: options.header[1] } : {},
    requests: options.pathOf
      ? [{ setupRequest: (req: autocannon.Request) => ({ ...req, path: `${path}?before=${9_000_000_000_000 + n++}.${"f".repeat(32)}` }) }]
      : undefined,
  });
  return {
    rps: result.requests.average,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx - result["3xx"] + result.errors,
  };
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

async function runBench(): Promise<void> {
  if (!existsSync(BARE_HONO)) throw new Error(`${BARE_HONO}: no such file (the bare Hono baseline; BARE_HONO names another)`);
  const feedwerk = fork(new URL(import.meta.url).pathname, ["--serve"], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const ready = await once<Ready>(feedwerk, "ready");
  const hitUrl = `${ready.url}${HIT_PATH}`;
  const served = await fetch(hitUrl);
  const body = new Uint8Array(await served.arrayBuffer());
  const etag = served.headers.get("etag")!;
  const type = served.headers.get("content-type")!;
  // a revalidation must be a 304, or the 304 rounds would measure something else
  const revalidated = await fetch(hitUrl, { headers: { "if-none-match": etag } });
  if (served.status !== 200 || revalidated.status !== 304) throw new Error(`${HIT_PATH}: ${served.status}, revalidated ${revalidated.status}`);

  const dir = mkdtempSync(join(tmpdir(), "feedwerk-bench-"));
  const file = join(dir, "feed.xml");
  writeFileSync(file, body);
  const barePort = await freePort();
  const bare = spawn(process.execPath, [BARE_HONO, file, String(barePort), type], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  const bareUrl = `http://127.0.0.1:${barePort}/`;
  try {
    await answering(bareUrl, bare);
    const bareBody = new Uint8Array(await (await fetch(bareUrl)).arrayBuffer());
    if (bareBody.length !== body.length) throw new Error(`the bare app sends ${bareBody.length} bytes, feedwerk ${body.length}`);
    console.log(
      `${HIT_PATH}: ${body.length} bytes (${type}); load: ${WRK ? `wrk -t1 -c${CONNECTIONS}` : `autocannon, ${CONNECTIONS} connections`}; ` +
        `baseline (${relative(root, BARE_HONO)}, its own process), hits and 304s in ${ROUNDS} rounds of ${ROUND_SECONDS} s, taken in turn\n`,
    );

    // warm up both servers so the JIT and the cache are in their steady state
    await load(bare, bareUrl, 2);
    await load(feedwerk, hitUrl, 2);
    await load(feedwerk, hitUrl, 1, { header: ["If-None-Match", etag] });

    const rounds: { baseline: Load; hit: Load; revalidation: Load }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const baseline = await load(bare, bareUrl, ROUND_SECONDS);
      const hit = await load(feedwerk, hitUrl, ROUND_SECONDS);
      const revalidation = await load(feedwerk, hitUrl, ROUND_SECONDS, { header: ["If-None-Match", etag] });
      rounds.push({ baseline, hit, revalidation });
      console.log(
        `round ${r + 1}: baseline ${baseline.rps.toFixed(0)} req/s, hits ${hit.rps.toFixed(0)} (${(hit.rps / baseline.rps).toFixed(2)} x), ` +
          `304s ${revalidation.rps.toFixed(0)} (${(revalidation.rps / baseline.rps).toFixed(2)} x)`,
      );
    }
    const miss = await load(feedwerk, `${ready.url}${MISS_PATH}`, ROUND_SECONDS, { pathOf: "new-position" });
    feedwerk.send({ stop: true });
    const peak = await once<{ rss: number; heap: number; database: string }>(feedwerk, "peak");

    const pick = (scenario: "baseline" | "hit" | "revalidation") => rounds.map((r) => r[scenario]);
    const summary = (loads: Load[]) => ({
      rps: median(loads.map((l) => l.rps)),
      p50: median(loads.map((l) => l.p50)),
      p99: median(loads.map((l) => l.p99)),
      cpuUs: median(loads.map((l) => l.cpuUs)),
      errors: loads.reduce((n, l) => n + l.errors, 0),
    });
    const hitRatio = median(rounds.map((r) => r.hit.rps / r.baseline.rps));
    const revalidationRatio = median(rounds.map((r) => r.revalidation.rps / r.baseline.rps));
    const baselineRps = summary(pick("baseline")).rps;
    const rows: [string, ReturnType<typeof summary>, string][] = [
      ["baseline: bare Hono, same bytes", summary(pick("baseline")), "1.00"],
      ["cache hit", summary(pick("hit")), hitRatio.toFixed(2)],
      ["304 revalidation", summary(pick("revalidation")), revalidationRatio.toFixed(2)],
      ["cache miss: query + render of 50 items", summary([miss]), (miss.rps / baselineRps).toFixed(2)],
    ];
    const pad = (s: string, n: number) => s.padEnd(n);
    console.log(
      `\n${pad("scenario (median of rounds)", 42)}${pad("req/s", 10)}${pad("p50 ms", 8)}${pad("p99 ms", 8)}${pad("CPU µs/req", 12)}ratio to baseline`,
    );
    for (const [name, r, ratio] of rows) {
      const errors = r.errors ? `  (${r.errors} errors!)` : "";
      console.log(
        `${pad(name, 42)}${pad(r.rps.toFixed(0), 10)}${pad(r.p50.toFixed(2), 8)}${pad(r.p99.toFixed(2), 8)}${pad(r.cpuUs.toFixed(1), 12)}${ratio}${errors}`,
      );
    }
    // a server's processor time per request is what the machine's other load disturbs least
    const cpu = (scenario: "hit" | "revalidation") => median(rounds.map((r) => r.baseline.cpuUs / r[scenario].cpuUs));
    console.log(
      `server processor time per request, baseline's over feedwerk's (median of rounds): hits ${cpu("hit").toFixed(2)}, 304s ${cpu("revalidation").toFixed(2)}`,
    );
    console.log(`\nrender of 50 items alone (RSS, in the server process): median ${ready.renderMedianMs.toFixed(2)} ms`);
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
    console.log(
      `server peak memory: RSS ${mib(peak.rss)}${peak.database.startsWith("embedded") ? " (PGlite reserves most of it at start)" : ""}, JS heap ${mib(peak.heap)}; database: ${peak.database}`,
    );
    console.log(
      `\ntargets: cache hit >= 0.90 x baseline: ${hitRatio.toFixed(2)} ${hitRatio >= 0.9 ? "met" : "MISSED"}; ` +
        `304 >= 1.00 x baseline: ${revalidationRatio.toFixed(2)} ${revalidationRatio >= 1 ? "met" : "MISSED"}; ` +
        `render <= 2 ms: ${ready.renderMedianMs.toFixed(2)} ${ready.renderMedianMs <= 2 ? "met" : "MISSED"}`,
    );
  } finally {
    bare.kill();
    if (feedwerk.exitCode === null) feedwerk.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes("--serve")) await runServer();
else await runBench();
