/**
 * `npm run bench:aggregate`: feedwerk against the newsboat feed reader
 * (../shared/bench/README.md), side by side in one run. 1,000 RSS feeds of
 * 50 entries (agg_bench_feeds.py) are served from memory by
 * static_dir_server.mjs in a process of its own; both sides read them twice,
 * each in processes of their own: first pass everything new, second pass
 * everything unchanged (the server answers 304).
 *
 * newsboat: `newsboat -x reload` with `reload-threads 8`, a fresh cache per
 * round. feedwerk: `cli sources import feeds.opml`, then `cli fetch --all`
 * twice, as the built command users run (`node dist/cli.js`, built first if
 * the sources changed, as `npm run cli` does), a fresh database per round (BENCH_DATABASE_URL's server, else
 * PGlite). The sides take turns pass by pass, and the side that goes first
 * alternates from round to round. The ratios are newsboat's wall time over
 * feedwerk's in the same round, and the figure is their median. BENCH_FEEDS,
 * BENCH_ROUNDS and NEWSBOAT change the defaults.
 *
 * BENCH_WITHOUT_SEARCH_INDEX=1 (PostgreSQL only) drops the full-text indexes
 * item_search_lexemes and item_search_words after migrating: not a way to run feedwerk (?q= and new tags
 * rely on it), but the measure of what keeping it costs PostgreSQL in the
 * first pass. The stories are still queued and their lexemes worked out and
 * written (search-index.ts), so the whole of the search's cost is somewhat more.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";

const FEEDS = Number(process.env.BENCH_FEEDS ?? 1000);
const ENTRIES = 50;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const NEWSBOAT = process.env.NEWSBOAT ?? "/usr/bin/newsboat";
const WITHOUT_SEARCH_INDEX = process.env.BENCH_WITHOUT_SEARCH_INDEX === "1";
if (WITHOUT_SEARCH_INDEX && !process.env.BENCH_DATABASE_URL)
  throw new Error("BENCH_WITHOUT_SEARCH_INDEX needs BENCH_DATABASE_URL: it drops the index on PostgreSQL");
const root = fileURLToPath(new URL("..", import.meta.url));
const shared = join(root, "..", "shared", "bench");

/** Runs a command to its end; returns its wall time in seconds, failing on a non-zero exit. */
function run(command: string, args: string[], env: Record<string, string> = {}): Promise<{ seconds: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code === 0) resolve({ seconds, stdout });
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${stderr.slice(-2000)}${stdout.slice(-2000)}`));
    });
  });
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

const dir = mkdtempSync(join(tmpdir(), "feedwerk-aggregate-"));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
spawnSync("python3", [join(shared, "agg_bench_feeds.py"), join(dir, "feeds"), String(FEEDS), String(ENTRIES), base], { stdio: "inherit" });
const server = spawn(process.execPath, [join(shared, "static_dir_server.mjs"), join(dir, "feeds"), String(port)], { stdio: "ignore" });
process.on("exit", () => server.kill());
const answered = async () => Number(await (await fetch(`${base}/__count`)).text());
for (let i = 0; ; i++) {
  try {
    await answered();
    break;
  } catch (error) {
    if (i > 100) throw error;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A fresh database for one round of feedwerk: the environment that selects it, and how to drop it. */
async function scratchDatabase(round: number): Promise<{ env: Record<string, string>; migrated(): Promise<void>; dispose(): Promise<void> }> {
  const adminUrl = process.env.BENCH_DATABASE_URL;
  if (!adminUrl) {
    const data = join(dir, `pglite-${round}`);
    return { env: { FEEDWERK_DATA: data, DATABASE_URL: "" }, migrated: async () => {}, dispose: async () => rmSync(data, { recursive: true, force: true }) };
  }
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const name = `feedwerk_aggregate_${process.pid}_${round}`;
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString() },
    migrated: async () => {
      if (!WITHOUT_SEARCH_INDEX) return;
      const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
      await sql.unsafe("drop index item_search_lexemes, item_search_words");
      await sql.end();
    },
    dispose: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

type Side = "newsboat" | "feedwerk";
const hasNewsboat = existsSync(NEWSBOAT);
const times: Record<Side, { first: number[]; second: number[] }> = { newsboat: { first: [], second: [] }, feedwerk: { first: [], second: [] } };
const loads: string[] = [];

// the command as shipped, not run through tsx (whose start and source maps cost about a second a process)
if (spawnSync(process.execPath, ["scripts/build.mjs", "--if-needed"], { cwd: root, stdio: "inherit" }).status !== 0) throw new Error("the build failed");
for (let round = 0; round < ROUNDS; round++) {
  const home = join(dir, `newsboat-${round}`);
  mkdirSync(home);
  writeFileSync(join(home, "config"), "reload-threads 8\n");
  const database = await scratchDatabase(round);
  try {
    const cli = (...args: string[]) => run(process.execPath, ["dist/cli.js", ...args], { ...database.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1" });
    await cli("migrate");
    await database.migrated();
    await cli("sources", "import", join(dir, "feeds", "feeds.opml"));

    const pass: Record<Side, () => Promise<number>> = {
      newsboat: async () =>
        (await run(NEWSBOAT, ["-C", join(home, "config"), "-u", join(dir, "feeds", "urls"), "-c", join(home, "cache.db"), "-x", "reload"], { HOME: home }))
          .seconds,
      feedwerk: async () => {
        const { seconds, stdout } = await cli("fetch", "--all");
        if (!stdout.includes(`${FEEDS} of ${FEEDS} feeds read`)) throw new Error(`feedwerk did not read every feed:\n${stdout.slice(-500)}`);
        return seconds;
      },
    };
    const order: Side[] = !hasNewsboat ? ["feedwerk"] : round % 2 === 0 ? ["newsboat", "feedwerk"] : ["feedwerk", "newsboat"];
    for (const which of ["first", "second"] as const) {
      for (const side of order) {
        const before = await answered();
        const seconds = await pass[side]();
        const requests = (await answered()) - before;
        if (requests !== FEEDS) throw new Error(`${side}'s ${which} pass asked for ${requests} feeds, not ${FEEDS}`);
        times[side][which].push(seconds);
        loads.push(loadavg()[0]!.toFixed(1));
        console.log(`round ${round + 1}, ${which} pass, ${side}: ${seconds.toFixed(2)} s`);
      }
    }
  } finally {
    await database.dispose();
  }
}
server.kill();
rmSync(dir, { recursive: true, force: true });

/** The middle value; of an even number of values, the mean of the middle two. */
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const database = process.env.BENCH_DATABASE_URL ? "PostgreSQL" : "PGlite";
console.log(
  `\n${FEEDS} feeds × ${ENTRIES} entries from a local server; feedwerk on ${database}${WITHOUT_SEARCH_INDEX ? " WITHOUT its search index (a measure, not a configuration)" : ""}; ${ROUNDS} round(s), medians; load average during the passes: ${loads.join(", ")}\n`,
);
console.log(
  "pass                      feedwerk                          newsboat (reload-threads 8)   ratio (newsboat / feedwerk): the median of the rounds' ratios",
);
for (const which of ["first", "second"] as const) {
  const ours = median(times.feedwerk[which]);
  const theirs = hasNewsboat ? median(times.newsboat[which]) : null;
  const label = which === "first" ? "first (all new)" : "second (all unchanged)";
  const figures = `${ours.toFixed(2)} s, ${(FEEDS / ours).toFixed(0)} feeds/s${which === "first" ? `, ${((FEEDS * ENTRIES) / ours).toFixed(0)} items/s` : ""}`;
  // the targets the work on aggregation speed set: 1.6 x for the first pass (2 x is the goal beyond it), 15 x for the second
  const target = which === "first" ? 1.6 : 15;
  // each round's ratio of its own two passes, taken side by side; their median is the figure (a ratio of medians taken
  // per side would pair one round's newsboat with another round's feedwerk)
  const rounds = hasNewsboat ? times.feedwerk[which].map((t, i) => times.newsboat[which][i]! / t) : [];
  const middle = rounds.length ? median(rounds) : null;
  const ratio =
    middle === null
      ? "-"
      : `${middle.toFixed(2)} × (rounds ${rounds.map((r) => r.toFixed(2)).join(", ")}; target ${target} ×: ${middle >= target ? "met" : "MISSED"})`;
  console.log(`${label.padEnd(26)}${figures.padEnd(34)}${(theirs === null ? "not installed" : `${theirs.toFixed(2)} s`).padEnd(30)}${ratio}`);
}
