/**
 * `npm run bench:extract`: reading web pages, feedwerk against Mozilla Readability on linkedom (the reader
 * the extraction README measures), side by side in one run. Both read every page of
 * ../shared/extraction/text/pages in a process of their own: feedwerk as `parse --jsonl` (as a person runs
 * it: the built CLI, `node dist/cli.js`, built first if it is not up to date; decoding, metadata, dates,
 * sanitising), the baseline as bench/support/readability-baseline.mjs. The sides take turns over BENCH_ROUNDS rounds, the side that goes first alternating; the
 * figures are each side's median wall time and processor time (user and system, every thread), the ratios the
 * medians of the rounds' own (baseline over feedwerk: above 1, feedwerk is faster), and each side's peak memory
 * (RSS, from GNU time). feedwerk reads many pages on a thread per processor, the baseline on one: the wall time
 * is what a person waits, the processor time what reading a page costs. Both outputs
 * are scored with the benchmark's own score.py, so that the speed is that of the quality printed beside it.
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

function run(name: string, args: string[]): Run {
  const ran = spawnSync("/usr/bin/time", ["-f", "%e %M %U %S", process.execPath, ...args, ...pages], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 1024 * 1024 * 1024,
  });
  if (ran.status !== 0 && !ran.stdout) throw new Error(`${name} failed: ${ran.stderr}`);
  const [seconds, kib, user, system] = ran.stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
  return { seconds: seconds!, cpuSeconds: user! + system!, peakMiB: kib! / 1024, output: ran.stdout };
}

const sides = {
  feedwerk: () => run("feedwerk", ["dist/cli.js", "parse", "--jsonl"]),
  readability: () => run("readability", ["bench/support/readability-baseline.mjs"]),
};
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const runs: Record<keyof typeof sides, Run[]> = { feedwerk: [], readability: [] };
const loads: number[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of (round % 2 ? ["readability", "feedwerk"] : ["feedwerk", "readability"]) as (keyof typeof sides)[]) {
      loads.push(loadavg()[0]!);
      const r = sides[side]();
      runs[side].push(r);
      console.log(`round ${round + 1}, ${side}: ${r.seconds.toFixed(2)} s, ${r.cpuSeconds.toFixed(2)} s of processor time, peak ${r.peakMiB.toFixed(0)} MiB`);
    }
  }
  const score = (side: keyof typeof sides) => {
    const file = join(out, `${side}.jsonl`);
    writeFileSync(file, runs[side][0]!.output);
    return spawnSync("python3", [join(shared, "score.py"), "text", file, join(shared, "text", "expected.json")], { encoding: "utf8" }).stdout.trim();
  };
  const ratios = runs.feedwerk.map((f, i) => runs.readability[i]!.seconds / f.seconds);
  console.log(
    `\n${pages.length} pages of the text benchmark; ${ROUNDS} rounds, medians; load average during the runs: ${loads.map((l) => l.toFixed(1)).join(", ")}`,
  );
  console.log("side                                    wall time   processor time   peak memory   text quality");
  for (const side of ["feedwerk", "readability"] as const) {
    const label = side === "feedwerk" ? "feedwerk parse --jsonl" : "Readability 0.6 on linkedom (baseline)";
    const m = (f: (r: Run) => number) => median(runs[side].map(f));
    console.log(
      `${label.padEnd(40)}${`${m((r) => r.seconds).toFixed(2)} s`.padEnd(12)}${`${m((r) => r.cpuSeconds).toFixed(2)} s`.padEnd(17)}${`${m((r) => r.peakMiB).toFixed(0)} MiB`.padEnd(14)}${score(side)}`,
    );
  }
  // wall time is what a person waits (feedwerk reads many pages on a thread per processor); processor time is
  // what reading costs, whatever the threads: both are said
  const cpuRatios = runs.feedwerk.map((f, i) => runs.readability[i]!.cpuSeconds / f.cpuSeconds);
  console.log(
    `ratio of wall time (baseline / feedwerk): ${median(ratios).toFixed(2)} × (rounds ${ratios.map((r) => r.toFixed(2)).join(", ")}); at least 1 ×: ${median(ratios) >= 1 ? "met" : "MISSED"}`,
  );
  console.log(
    `ratio of processor time (baseline / feedwerk): ${median(cpuRatios).toFixed(2)} × (rounds ${cpuRatios.map((r) => r.toFixed(2)).join(", ")}); at least 1 ×: ${median(cpuRatios) >= 1 ? "met" : "MISSED"}`,
  );
} finally {
  rmSync(out, { recursive: true, force: true });
}
