/** The CLI as a child process, as a user runs it. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");
const ENTRY = join(ROOT, "src/entry/cli/main.ts");

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Blocks this process until the CLI is done: only where nothing in this process must answer it meanwhile. */
export function cliSync(args: string[], env: Record<string, string> = {}): CliRun {
  const r = spawnSync(process.execPath, ["--import", "tsx", ENTRY, ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Asynchronous, for tests whose servers (a hub, a feed host) live in this process and must keep answering. */
export function cli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliRun> {
  return run(["--import", "tsx", ENTRY, ...args], env, timeoutMs);
}

/** The built CLI (dist/cli.js, as `npm start` and an installed `feedwerk` run it), asynchronously like cli(). */
export function builtCli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliRun> {
  return run([join(ROOT, "dist/cli.js"), ...args], env, timeoutMs);
}

function run(nodeArgs: string[], env: Record<string, string>, timeoutMs: number): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs, { cwd: ROOT, env: { ...process.env, ...env }, timeout: timeoutMs });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** A long-running command (serve, fetch) as a child process, with what it has printed so far. */
export interface RunningCli {
  child: ChildProcess;
  /** Standard output and standard error so far, in the order they came. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output, waiting for it up to `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves when the process has exited. */
  exited: Promise<CliRun>;
}

export function startCli(args: string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(process.execPath, ["--import", "tsx", ENTRY, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let stdout = "";
  let stderr = "";
  let both = "";
  const watchers = new Set<() => void>();
  const seen = () => {
    for (const watcher of watchers) watcher();
  };
  child.stdout.on("data", (d) => ((stdout += d), (both += d), seen()));
  child.stderr.on("data", (d) => ((stderr += d), (both += d), seen()));
  const exited = new Promise<CliRun>((resolve) => child.on("close", (status) => (resolve({ status, stdout, stderr }), seen())));
  return {
    child,
    output: () => both,
    exited,
    waitFor: (pattern, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(both);
          if (match) done(() => resolve(match));
          else if (child.exitCode !== null || child.signalCode !== null) done(() => reject(new Error(`exited before printing ${pattern}:\n${both}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${both}`))), timeoutMs);
        const done = (settle: () => void) => {
          clearTimeout(timer);
          watchers.delete(check);
          settle();
        };
        watchers.add(check);
        check();
      }),
  };
}

/** The message of one line `serve` logged: its output is no terminal, so its lines are JSON (src/entry/node/log.ts). */
export function logMessage(line: string): string {
  return (JSON.parse(line) as { msg: string }).msg;
}
