/**
 * `npm run bench:memory`: what running feedwerk costs in memory, as an operator runs it, and how fast a command
 * starts.
 *
 * Serving: `serve --poll` follows BENCH_MEMORY_FEEDS (300) feeds of a local server (20 entries each, in 20
 * topics), polls them all once, then answers BENCH_MEMORY_REQUESTS (10,000) requests for the topics' feeds in
 * all three formats and the index (autocannon, 8 connections, from this process). The figure is the peak RSS of
 * the whole process tree the command starts (every process, summed, sampled every 50 ms), beside the largest
 * single process's own peak (VmHWM). Two sides, each in processes of their own: the built program as the service
 * runs it (`node dist/cli.js serve --poll`), and the program as `npm start` ran it before it was built
 * (`npm exec tsx src/entry/cli/main.ts serve --poll`: npm, the tsx wrapper, node and esbuild). On PostgreSQL
 * (BENCH_DATABASE_URL, a scratch database of that server) and on the embedded PGlite (a scratch folder).
 *
 * Starting: the time from spawning a command to its exit, median of five, for `--version`, `parse` of the seed
 * page (no database) and `sources list` (opens the database: PGlite loads its WebAssembly Postgres).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import postgres from "postgres";

const root = fileURLToPath(new URL("..", import.meta.url));
const FEEDS = Number(process.env.BENCH_MEMORY_FEEDS ?? 300);
const REQUESTS = Number(process.env.BENCH_MEMORY_REQUESTS ?? 10_000);
const ENTRIES = 20;
const TOPICS = 20;
const TOKEN = "bench-memory-admin-token";
const adminUrl = process.env.BENCH_DATABASE_URL ?? null;

if (spawnSync(process.execPath, ["scripts/build.mjs", "--if-needed"], { cwd: root, stdio: "inherit" }).status !== 0) throw new Error("the build failed");

// the feeds: a local server, as a followed site would answer
function feedXml(n: number): string {
  const items = Array.from({ length: ENTRIES }, (_, i) => {
    const date = new Date(Date.UTC(2026, 11, 1, 12, 0) - (n * ENTRIES + i) * 60_000).toUTCString();
    return (
      `<item><title>Meldung ${i} aus Feed ${n}: Regierung berät über den Haushalt</title><link>https://feed${n}.example.org/artikel/${i}</link>` +
      `<guid isPermaLink="false">feed${n}-${i}</guid><pubDate>${date}</pubDate><category>Thema ${n % TOPICS}</category>` +
      `<description><![CDATA[<p>Zusammenfassung der Meldung ${i} aus Feed ${n}, mit <a href="/mehr/${i}">mehr</a> Text über den Haushalt und die Regierung.</p>]]></description></item>`
    );
  }).join("\n");
  return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed ${n}</title><link>https://feed${n}.example.org/</link><description>b</description>\n${items}\n</channel></rss>`;
}
const feeds = createServer((req, res) => {
  const n = Number(/^\/feed\/(\d+)\.xml$/.exec(req.url ?? "")?.[1] ?? -1);
  if (!(n >= 0 && n < FEEDS)) return res.writeHead(404).end();
  res.writeHead(200, { "content-type": "application/rss+xml; charset=utf-8" }).end(feedXml(n));
});
await new Promise<void>((resolve) => feeds.listen(0, "127.0.0.1", resolve));
const feedBase = `http://127.0.0.1:${(feeds.address() as { port: number }).port}`;
const opml = join(mkdtempSync(join(tmpdir(), "feedwerk-memory-")), "feeds.opml");
{
  const outlines = Array.from({ length: FEEDS }, (_, n) => `<outline type="rss" text="feed ${n}" xmlUrl="${feedBase}/feed/${n}.xml"/>`).join("\n");
  (await import("node:fs")).writeFileSync(
    opml,
    `<?xml version="1.0"?><opml version="2.0"><head><title>bench</title></head><body>\n${outlines}\n</body></opml>`,
  );
}

/** The RSS of a process and its descendants, summed, in KiB; and each one's own peak (VmHWM). */
function tree(rootPid: number): { rssKiB: number; hwmKiB: number[]; count: number } {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  let rssKiB = 0;
  const hwmKiB: number[] = [];
  const pids = [rootPid];
  for (let i = 0; i < pids.length; i++) {
    pids.push(...(children.get(pids[i]!) ?? []));
    try {
      const status = readFileSync(`/proc/${pids[i]}/status`, "utf8");
      rssKiB += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      hwmKiB.push(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      // gone meanwhile
    }
  }
  return { rssKiB, hwmKiB, count: pids.length };
}

interface Side {
  label: string;
  command: string[];
}
const SIDES: Side[] = [
  { label: "node dist/cli.js (built)", command: [process.execPath, "dist/cli.js"] },
  { label: "npm exec tsx src/entry/cli/main.ts (before)", command: ["npm", "exec", "--offline", "--", "tsx", "src/entry/cli/main.ts"] },
  // BENCH_MEMORY_BUILT_ONLY=1: the built program alone, while working on its figure (no ratio then)
].slice(0, process.env.BENCH_MEMORY_BUILT_ONLY ? 1 : 2);

interface Database {
  name: string;
  env: Record<string, string>;
  dispose(): Promise<void>;
}

async function scratchDatabase(kind: "postgres" | "pglite"): Promise<Database> {
  if (kind === "pglite") {
    const dir = mkdtempSync(join(tmpdir(), "feedwerk-memory-data-"));
    return { name: "PGlite", env: { FEEDWERK_DATA: dir, DATABASE_URL: "" }, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const admin = postgres(adminUrl!, { max: 1, onnotice: () => {} });
  const name = `feedwerk_memory_${process.pid}_${Date.now()}`;
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl!);
  url.pathname = `/${name}`;
  return {
    name: "PostgreSQL",
    env: { DATABASE_URL: url.toString() },
    dispose: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

function runCommand(side: Side, args: string[], env: Record<string, string>): { status: number | null; seconds: number; output: string } {
  const t = performance.now();
  const ran = spawnSync(side.command[0]!, [...side.command.slice(1), ...args], { cwd: root, env: { ...process.env, ...env }, encoding: "utf8" });
  return { status: ran.status, seconds: (performance.now() - t) / 1000, output: `${ran.stdout}${ran.stderr}` };
}

interface Serving {
  peakTreeMiB: number;
  peakProcessMiB: number;
  processes: number;
  afterPollMiB: number;
  pollSeconds: number;
  requestsPerSecond: number;
  errors: number;
}

async function serve(side: Side, db: Database): Promise<Serving> {
  const env = { ...db.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1", FEEDWERK_ADMIN_TOKEN: TOKEN, FEEDWERK_PUBLIC_URL: "", PORT: "0" };
  const imported = runCommand(side, ["sources", "import", opml], env);
  if (imported.status !== 0) throw new Error(`${side.label}: sources import failed: ${imported.output}`);
  const child = spawn(side.command[0]!, [...side.command.slice(1), "serve", "--poll", "--host", "127.0.0.1", "--port", "0"], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // a group of its own: the stop reaches every process of the tree (npm does not pass a signal on to tsx's node)
    detached: true,
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  let peakTree = 0;
  let peakProcess = 0;
  let processes = 0;
  const sample = () => {
    const t = tree(child.pid!);
    peakTree = Math.max(peakTree, t.rssKiB);
    peakProcess = Math.max(peakProcess, ...t.hwmKiB);
    processes = Math.max(processes, t.count);
  };
  const sampler = setInterval(sample, 50);
  try {
    const started = performance.now();
    let base: string | null = null;
    while (!base) {
      if (child.exitCode !== null) throw new Error(`${side.label}: serve exited: ${output}`);
      if (performance.now() - started > 120_000) throw new Error(`${side.label}: serve did not start: ${output}`);
      base = /(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? null;
      await new Promise((r) => setTimeout(r, 50));
    }
    // the first pass: every feed read once (the admin API lists each source's last fetch)
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (;;) {
      if (performance.now() - started > 600_000) throw new Error(`${side.label}: the first pass did not end: ${output}`);
      const listed = await fetch(`${base}/api/sources`, { headers: auth }).then((r) =>
        r.ok ? (r.json() as Promise<{ sources: { last_fetch_at: string | null }[] }>) : null,
      );
      if (listed && listed.sources.length === FEEDS && listed.sources.every((s) => s.last_fetch_at)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const pollSeconds = (performance.now() - started) / 1000;
    // the pass has ended when the sources say so; what it stored is committed: wait for the pass's last lines
    await new Promise((r) => setTimeout(r, 1000));
    sample();
    const afterPollMiB = tree(child.pid!).rssKiB / 1024;
    const tags = (await fetch(`${base}/api/tags`, { headers: auth }).then((r) => r.json())) as { tags: { slug: string }[] };
    const paths = ["/", ...tags.tags.flatMap((t) => [".xml", ".atom", ".json"].map((ext) => `/feeds/${t.slug}${ext}`))];
    let n = 0;
    const result = await autocannon({
      url: base,
      connections: 8,
      amount: REQUESTS,
      requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, path: paths[n++ % paths.length]! }) }],
    });
    sample();
    return {
      peakTreeMiB: peakTree / 1024,
      peakProcessMiB: peakProcess / 1024,
      processes,
      afterPollMiB,
      pollSeconds,
      requestsPerSecond: result.requests.average,
      errors: result.errors + result.non2xx,
    };
  } finally {
    clearInterval(sampler);
    const exited = new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
    process.kill(-child.pid!, "SIGTERM");
    await exited;
    // what is left of the tree once its first process has gone (tsx's node outliving npm) goes too
    await new Promise((r) => setTimeout(r, 500));
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // the whole group has ended
    }
  }
}

const loads: number[] = [];
const rows: string[] = [];
try {
  console.log(
    `serve --poll: ${FEEDS} feeds of ${ENTRIES} entries from a local server, polled once, then ${REQUESTS} requests (index and ${TOPICS} topics × 3 formats)\n`,
  );
  console.log("database     side                                      peak, tree  largest process  processes  after the pass  first pass  req/s");
  for (const kind of adminUrl ? (["postgres", "pglite"] as const) : (["pglite"] as const)) {
    const measured: Serving[] = [];
    for (const side of SIDES) {
      const db = await scratchDatabase(kind);
      try {
        loads.push(loadavg()[0]!);
        const m = await serve(side, db);
        measured.push(m);
        const row = `${db.name.padEnd(13)}${side.label.padEnd(42)}${`${m.peakTreeMiB.toFixed(0)} MiB`.padEnd(12)}${`${m.peakProcessMiB.toFixed(0)} MiB`.padEnd(17)}${String(m.processes).padEnd(11)}${`${m.afterPollMiB.toFixed(0)} MiB`.padEnd(16)}${`${m.pollSeconds.toFixed(1)} s`.padEnd(12)}${m.requestsPerSecond.toFixed(0)}${m.errors ? ` (${m.errors} errors)` : ""}`;
        console.log(row);
        rows.push(row);
      } finally {
        await db.dispose();
      }
    }
    const target = kind === "postgres" ? 100 : 250;
    const [built, before] = measured;
    console.log(
      `  ${kind}: the built program's tree peaks at ${built!.peakTreeMiB.toFixed(0)} MiB (target ≤ ${target} MiB: ${built!.peakTreeMiB <= target ? "met" : "MISSED"})${before ? `; ${(before.peakTreeMiB / built!.peakTreeMiB).toFixed(2)} × less than before` : ""}\n`,
    );
  }
  if (!adminUrl) console.log("(PostgreSQL skipped: set BENCH_DATABASE_URL=postgres://… to measure it too)\n");

  // starting a command: spawn to exit, five times each
  console.log("command start (spawn to exit, median of 5)          built      before (tsx)");
  const pglite = await scratchDatabase("pglite");
  const pg = adminUrl ? await scratchDatabase("postgres") : null;
  try {
    // the databases migrated first: a command's start is measured, not a first migration
    for (const db of [pglite, pg]) if (db) runCommand(SIDES[0]!, ["migrate"], db.env);
    const seed = join(root, "seeds", readdirSync(join(root, "seeds")).find((f) => f.endsWith(".txt"))!);
    const commands: [string, string[], Record<string, string>][] = [
      ["--version", ["--version"], {}],
      ["parse (the seed page, no database)", ["parse", seed], {}],
      ["sources list (PGlite)", ["sources", "list"], pglite.env],
      ...(pg ? [["sources list (PostgreSQL)", ["sources", "list"], pg.env] as [string, string[], Record<string, string>]] : []),
    ];
    const startTimes = (label: string, args: string[], env: Record<string, string>) => {
      const times = SIDES.map((side) => {
        const runs = Array.from({ length: 5 }, () => runCommand(side, args, env));
        const failed = runs.find((r) => r.status !== 0);
        if (failed) throw new Error(`${side.label} ${args.join(" ")}: ${failed.output}`);
        return runs.map((r) => r.seconds).sort((a, b) => a - b)[2]!;
      });
      console.log(
        `${label.padEnd(52)}${`${times[0]!.toFixed(2)} s`.padEnd(11)}${times[1] === undefined ? "-" : `${times[1].toFixed(2)} s`}${times[0]! <= 0.3 ? "" : "   (over 0.3 s)"}`,
      );
    };
    for (const [label, args, env] of commands) startTimes(label, args, env);
    // on the embedded database while a server holds it: through the server's socket (storage/pglite-share.ts)
    const server = spawn(process.execPath, ["dist/cli.js", "serve", "--port", "0"], {
      cwd: root,
      env: { ...process.env, ...pglite.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let said = "";
      await new Promise<void>((resolve, reject) => {
        const look = (d: Buffer) => {
          said += d;
          if (/ at http:/.test(said)) resolve();
        };
        server.stdout.on("data", look);
        server.stderr.on("data", look);
        server.once("exit", () => reject(new Error(`serve exited: ${said}`)));
      });
      startTimes("sources list (PGlite, while a server holds it)", ["sources", "list"], pglite.env);
    } finally {
      server.kill("SIGTERM");
      await new Promise((r) => (server.exitCode !== null ? r(null) : server.once("exit", r)));
    }
  } finally {
    await pglite.dispose();
    await pg?.dispose();
  }
  console.log(`\nload average during the runs: ${loads.map((l) => l.toFixed(1)).join(", ")}`);
} finally {
  feeds.close();
  rmSync(join(opml, ".."), { recursive: true, force: true });
}
