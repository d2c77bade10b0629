/**
 * `npm run bench:extract`: reading web pages, feedwerk against Mozilla Readability on linkedom (the reader
 * the extraction README measures), side by side in one run. Both read every page of
 * ../shared/extraction/text/pages in a process of their own: feedwerk as `parse --jsonl` (as a person runs
 * it: the built CLI, `node dist/cli.js`, built first if it is not up to date; decoding, metadata, dates,
 * sanitising), the baseline as bench/support/readability-baseline.mjs (linkedom as published). The sides take
 * turns over BENCH_ROUNDS rounds, the order alternating.
 *
 * Two comparisons, each a median of the rounds' own ratios (baseline over feedwerk: above 1, feedwerk is faster):
 * - wall time, each side as it runs by default: what a person waits. feedwerk reads many pages on a thread per
 *   processor, the baseline on one.
 * - processor time with both sides held to one processor (taskset): what reading a page costs. On every
 *   processor at once, the threads' processor time grows with what they share (caches, the host's cores), so the
 *   processor time of the default runs is printed but not compared.
 * Peak memory is RSS, from GNU time. Both outputs are scored with the benchmark's own score.py, so that the speed
 * is that of the quality printed beside it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const shared = join(root, "..", "shared", "extraction");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
if (!existsSync(join(shared, "text", "pages"))) throw new Error(`${shared}: the extraction benchmark's pages are not there`);
if (!existsSync("/usr/bin/time")) throw new Error("/usr/bin/time (GNU time, Debian's package time) measures peak memory: install it");
// the CLI as `npm install` builds it, up to date with the sources
if (spawnSync(process.execPath, ["scripts/build.mjs", "--if-needed"], { cwd: root, stdio: "inherit" }).status !== 0) throw new Error("the build failed");
const pages = readdirSync(join(shared, "text", "pages")).map((f) => join(shared, "text", "pages", f));
const out = mkdtempSync(join(tmpdir(), "feedwerk-extract-"));

interface Run {
  seconds: number;
  /** Processor time, user and system, over every thread. */
  cpuSeconds: number;
  peakMiB: number;
  output: string;
}

// one processor for the cost comparison: the first this process may use
const ONE = existsSync("/usr/bin/taskset") ? ["/usr/bin/taskset", "-c", String(firstProcessor())] : null;
if (!ONE) throw new Error("/usr/bin/taskset (util-linux) holds a side to one processor: install it");

function firstProcessor(): number {
  const allowed = spawnSync("/usr/bin/taskset", ["-pc", String(process.pid)], { encoding: "utf8" }).stdout;
  return Number(/:\s*(\d+)/.exec(allowed)?.[1] ?? 0);
}

function run(name: string, args: string[], pinned: boolean): Run {
  const command = [...(pinned ? ONE! : []), process.execPath, ...args, ...pages];
  const ran = spawnSync("/usr/bin/time", ["-f", "%e %M %U %S", ...command], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 1024 * 1024 * 1024,
  });
  if (ran.status !== 0 && !ran.stdout) throw new Error(`${name} failed: ${ran.stderr}`);
  const [seconds, kib, user, system] = ran.stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
  return { seconds: seconds!, cpuSeconds: user! + system!, peakMiB: kib! / 1024, output: ran.stdout };
}

const FEEDWERK = ["dist/cli.js", "parse", "--jsonl"];
const BASELINE = ["bench/support/readability-baseline.mjs"];
const sides = {
  feedwerk: () => run("feedwerk", FEEDWERK, false),
  readability: () => run("readability", BASELINE, false),
  "feedwerk, one processor": () => run("feedwerk", FEEDWERK, true),
  "readability, one processor": () => run("readability", BASELINE, true),
};
type Side = keyof typeof sides;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const runs: Record<Side, Run[]> = { feedwerk: [], readability: [], "feedwerk, one processor": [], "readability, one processor": [] };
const loads: number[] = [];
const LABELS: Record<Side, string> = {
  feedwerk: "feedwerk parse --jsonl",
  readability: "Readability 0.6 on linkedom (baseline)",
  "feedwerk, one processor": "feedwerk, one processor",
  "readability, one processor": "baseline, one processor",
};
try {
  const order = Object.keys(sides) as Side[];
  for (let round = 0; round < ROUNDS; round++) {
    // feedwerk first in odd rounds, the baseline first in even ones, in each pair
    const pairs = [order.slice(0, 2), order.slice(2)].map((pair) => (round % 2 ? [...pair].reverse() : pair));
    for (const side of pairs.flat()) {
      loads.push(loadavg()[0]!);
      const r = sides[side]();
      runs[side].push(r);
      console.log(`round ${round + 1}, ${side}: ${r.seconds.toFixed(2)} s, ${r.cpuSeconds.toFixed(2)} s of processor time, peak ${r.peakMiB.toFixed(0)} MiB`);
    }
  }
  const score = (side: Side) => {
    const file = join(out, `${side}.jsonl`);
    writeFileSync(file, runs[side][0]!.output);
    return spawnSync("python3", [join(shared, "score.py"), "text", file, join(shared, "text", "expected.json")], { encoding: "utf8" }).stdout.trim();
  };
  console.log(
    `\n${pages.length} pages of the text benchmark; ${ROUNDS} rounds, medians; load average during the runs: ${loads.map((l) => l.toFixed(1)).join(", ")}`,
  );
  console.log("side                                    wall time   processor time   peak memory   text quality");
  for (const side of order) {
    const m = (f: (r: Run) => number) => median(runs[side].map(f));
    console.log(
      `${LABELS[side].padEnd(40)}${`${m((r) => r.seconds).toFixed(2)} s`.padEnd(12)}${`${m((r) => r.cpuSeconds).toFixed(2)} s`.padEnd(17)}${`${m((r) => r.peakMiB).toFixed(0)} MiB`.padEnd(14)}${side.includes("one") ? "" : score(side)}`,
    );
  }
  const ratio = (what: string, ours: Side, theirs: Side, measure: (r: Run) => number) => {
    const ratios = runs[ours].map((f, i) => measure(runs[theirs][i]!) / measure(f));
    console.log(
      `${what} (baseline / feedwerk): ${median(ratios).toFixed(2)} × (rounds ${ratios.map((r) => r.toFixed(2)).join(", ")}); at least 1 ×: ${median(ratios) >= 1 ? "met" : "MISSED"}`,
    );
  };
  ratio("wall time, as each runs", "feedwerk", "readability", (r) => r.seconds);
  ratio("processor time, each on one processor", "feedwerk, one processor", "readability, one processor", (r) => r.cpuSeconds);
} finally {
  rmSync(out, { recursive: true, force: true });
}
