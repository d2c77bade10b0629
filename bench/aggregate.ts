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
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

/**
 * Runs a command to its end, through bash so that `times` can tell the processor time (user + system) of it and
 * its children; returns that and its wall time in seconds, failing on a non-zero exit.
 */
function run(command: string, args: string[], env: Record<string, string> = {}): Promise<{ seconds: number; cpu: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // the command keeps the caller's locale and not the descriptor that takes the times; the times in C's, with a decimal point
    const script = '"$@" 3>&-; status=$?; export LC_ALL=C; times >&3; exit $status';
    const child = spawn("bash", ["-c", script, "bash", command, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let times = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    (child.stdio[3] as NodeJS.ReadableStream).on("data", (chunk: Buffer) => (times += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code === 0) resolve({ seconds, cpu: childrenTime(times), stdout });
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${stderr.slice(-2000)}${stdout.slice(-2000)}`));
    });
  });
}

/** The children's user and system time from bash's `times` (its second line: "0m11.750s 0m7.760s"), in seconds. */
function childrenTime(times: string): number {
  const line = times.trim().split("\n")[1] ?? "";
  const parts = [...line.matchAll(/(\d+)m([\d.,]+)s/g)];
  if (parts.length !== 2) throw new Error(`bash's times printed no processor time: ${JSON.stringify(times)}`);
  return parts.reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]!.replace(",", ".")), 0);
}

const TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** The fields of /proc/PID/stat after the command's name (which may hold spaces), or null where it cannot be read. */
function statOf(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** The parent of a PostgreSQL backend on this machine (its postmaster), or null where the server is not on it. */
const parentOf = (pid: number): number | null => {
  const fields = statOf(pid);
  if (!fields) return null;
  let command = "";
  try {
    command = readFileSync(`/proc/${fields[1]}/comm`, "utf8");
  } catch {}
  // a pid on this machine that is no PostgreSQL server's: the server runs elsewhere
  return /^postgres/.test(command) ? Number(fields[1]) : null;
};

/** The user and system time of a process's ended children (cutime + cstime), in seconds. */
const childrenTimeOf = (pid: number): number | null => {
  const fields = statOf(pid);
  return fields ? (Number(fields[13]) + Number(fields[14])) / TICKS : null;
};

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

interface ScratchDatabase {
  env: Record<string, string>;
  migrated(): Promise<void>;
  /**
   * PostgreSQL's processor time so far, in seconds, once the backends of the pass before have ended: what its
   * server's ended processes took (the postmaster's children's time, so also an autovacuum worker or another client's
   * backend that ended meanwhile: nothing else should use the server during a run), or null where that cannot be
   * read (PGlite runs in feedwerk's process, whose time counts it; a server on another machine).
   */
  serverTime(): Promise<number | null>;
  dispose(): Promise<void>;
}

/** A fresh database for one round of feedwerk: the environment that selects it, and how to drop it. */
async function scratchDatabase(round: number): Promise<ScratchDatabase> {
  const adminUrl = process.env.BENCH_DATABASE_URL;
  if (!adminUrl) {
    const data = join(dir, `pglite-${round}`);
    return {
      env: { FEEDWERK_DATA: data, DATABASE_URL: "" },
      migrated: async () => {},
      serverTime: async () => null,
      dispose: async () => rmSync(data, { recursive: true, force: true }),
    };
  }
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const name = `feedwerk_aggregate_${process.pid}_${round}`;
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const [backend] = await admin<{ pid: number }[]>`select pg_backend_pid() as pid`;
  const postmaster = parentOf(backend!.pid);
  return {
    env: { DATABASE_URL: url.toString() },
    serverTime: async () => {
      if (postmaster === null) return null;
      // a backend's time is its parent's once it has ended and been reaped
      for (let i = 0; ; i++) {
        const [connected] = await admin<{ open: number }[]>`select count(*)::int as open from pg_stat_activity where datname = ${name}`;
        if (!connected!.open) break;
        if (i === 50) throw new Error(`${connected!.open} connections to ${name} still open 5 s after the pass: its processor time cannot be read`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      return childrenTimeOf(postmaster);
    },
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
/** Processor time (user + system) per pass, PostgreSQL's backends included where they can be read. */
const processor: Record<Side, { first: number[]; second: number[] }> = { newsboat: { first: [], second: [] }, feedwerk: { first: [], second: [] } };
const loads: string[] = [];

interface Pass {
  seconds: number;
  /** The pass's processes' processor time. */
  cpu: number;
  /** Its PostgreSQL backends' processor time, where it can be read. */
  server: number | null;
}

const cpuText = (p: Pass) =>
  p.server === null ? `${p.cpu.toFixed(2)} s` : `${(p.cpu + p.server).toFixed(2)} s (Node ${p.cpu.toFixed(2)}, PostgreSQL ${p.server.toFixed(2)})`;

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

    /** A pass: its wall time, and the processor time of its process, with feedwerk's that of its PostgreSQL backends apart. */
    const pass: Record<Side, () => Promise<Pass>> = {
      newsboat: async () => {
        const done = await run(NEWSBOAT, ["-C", join(home, "config"), "-u", join(dir, "feeds", "urls"), "-c", join(home, "cache.db"), "-x", "reload"], {
          HOME: home,
        });
        return { seconds: done.seconds, cpu: done.cpu, server: null };
      },
      feedwerk: async () => {
        const serverBefore = await database.serverTime();
        const { seconds, cpu, stdout } = await cli("fetch", "--all");
        if (!stdout.includes(`${FEEDS} of ${FEEDS} feeds read`)) throw new Error(`feedwerk did not read every feed:\n${stdout.slice(-500)}`);
        const serverAfter = await database.serverTime();
        return { seconds, cpu, server: serverBefore === null || serverAfter === null ? null : serverAfter - serverBefore };
      },
    };
    const order: Side[] = !hasNewsboat ? ["feedwerk"] : round % 2 === 0 ? ["newsboat", "feedwerk"] : ["feedwerk", "newsboat"];
    for (const which of ["first", "second"] as const) {
      for (const side of order) {
        const before = await answered();
        const done = await pass[side]();
        const requests = (await answered()) - before;
        if (requests !== FEEDS) throw new Error(`${side}'s ${which} pass asked for ${requests} feeds, not ${FEEDS}`);
        times[side][which].push(done.seconds);
        processor[side][which].push(done.cpu + (done.server ?? 0));
        loads.push(loadavg()[0]!.toFixed(1));
        console.log(`round ${round + 1}, ${which} pass, ${side}: ${done.seconds.toFixed(2)} s; processor time ${cpuText(done)}`);
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
// wall time is what the targets judge; processor time says how much work each side does for it, which the load of a
// shared machine and newsboat's disk (its first pass took 12 to 44 s on machines of one kind) do not move as much
console.log(
  `\nprocessor time (user + system, medians${process.env.BENCH_DATABASE_URL ? "; feedwerk's with its PostgreSQL backends, where the server runs on this machine" : ""}):`,
);
for (const which of ["first", "second"] as const) {
  const theirs = hasNewsboat ? `, newsboat ${median(processor.newsboat[which]).toFixed(2)} s` : "";
  console.log(`  ${which} pass: feedwerk ${median(processor.feedwerk[which]).toFixed(2)} s${theirs}`);
}
