/**
 * Starts the Worker in a local workerd through `wrangler dev`, as
 * `npm run dev:edge` does: no network, no login, a throwaway state folder.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { wranglerEnvironment } from "../../src/entry/worker/wrangler-env";

export interface RunningWorker {
  url: string;
  /** Everything wrangler and the Worker printed so far. */
  output(): string;
  close(): Promise<void>;
}

const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");

export async function startWorker(databaseUrl: string, vars: Record<string, string> = {}): Promise<RunningWorker> {
  const state = mkdtempSync(join(tmpdir(), "feedwerk-workerd-"));
  const args = [wrangler, "dev", "--ip", "127.0.0.1", "--port", "0", "--inspector-port", "0", "--persist-to", state, "--test-scheduled"];
  for (const [key, value] of Object.entries(vars)) args.push("--var", `${key}:${value}`);
  const child = spawn(process.execPath, args, {
    cwd: join(import.meta.dirname, "..", ".."),
    env: { ...wranglerEnvironment(process.env, databaseUrl), NO_COLOR: "1", CI: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrangler dev did not start within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /Ready on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolve(ready[1]!);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`wrangler dev exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    close: async () => {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(state, { recursive: true, force: true });
    },
  };
}
