/**
 * Bundles the Worker as `npm run deploy` would (`wrangler deploy --dry-run`,
 * no network, no login) and checks what went in: nothing written for Node
 * only, no Node module the Workers runtime lacks, and a compressed size
 * within the free plan's 3 MB.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wranglerEnvironment } from "../src/entry/worker/wrangler-env";

const root = join(import.meta.dirname, "..");
const FREE_PLAN_LIMIT = 3 * 1024 * 1024;

// Files and packages that exist for the Node shells: a Worker that pulled
// one in would fail at deploy or at its first request.
const NODE_ONLY_FILES = [
  "src/storage/open.ts",
  "src/input/page-files.ts",
  "src/input/fetch/",
  "src/entry/cli/",
  "src/entry/worker/dev-edge.ts",
  "src/entry/node/",
  "src/storage/pglite-share.ts",
  "src/storage/backup.ts",
];
const NODE_ONLY_PACKAGES = ["@electric-sql/pglite", "@hono/node-server", "undici", "commander", "cli-progress", "tsx", "drizzle-kit", "prom-client", "pino"];
// The Node modules of nodejs_compat that the Worker's own libraries use
// (postgres: buffer, events, stream). Anything else is a surprise to read.
const RUNTIME_NODE_MODULES = new Set(["node:buffer", "node:events", "node:stream", "node:crypto", "node:util", "node:async_hooks"]);

describe("the Worker bundle", () => {
  let out: string;
  let bundle: string;
  let inputs: string[];

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), "feedwerk-bundle-"));
    const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
    const run = spawnSync(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", out, "--metafile", join(out, "meta.json")], {
      cwd: root,
      env: wranglerEnvironment(process.env),
      encoding: "utf8",
      timeout: 120_000,
    });
    if (run.status !== 0) throw new Error(`wrangler deploy --dry-run failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
    bundle = readFileSync(join(out, "worker.js"), "utf8");
    inputs = Object.keys((JSON.parse(readFileSync(join(out, "meta.json"), "utf8")) as { inputs: Record<string, unknown> }).inputs);
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("holds the publishing app and nothing written for Node only", () => {
    expect(inputs).toContain("src/publish/app.ts");
    expect(inputs).toContain("src/entry/worker/worker.ts");
    const leaked = inputs.filter(
      (file) => NODE_ONLY_FILES.some((f) => file.startsWith(f)) || NODE_ONLY_PACKAGES.some((p) => file.includes(`node_modules/${p}/`)),
    );
    expect(leaked).toEqual([]);
  });

  it("imports no Node module beyond the few nodejs_compat provides that its libraries need", () => {
    const imported = new Set([...bundle.matchAll(/(?:from\s*|import\s*\(\s*|require\s*\(\s*)["'](node:[\w/]+)["']/g)].map((m) => m[1]!));
    expect(imported.size).toBeGreaterThan(0);
    expect([...imported].filter((m) => !RUNTIME_NODE_MODULES.has(m))).toEqual([]);
    // bare Node module names would be resolved by nobody on Workers
    expect(bundle).not.toMatch(/(?:from\s*|require\s*\(\s*)["'](fs|net|tls|http|https|child_process|worker_threads|dns|os|path)["']/);
  });

  it("stays under the free plan's 3 MB, compressed", () => {
    const size = Buffer.byteLength(bundle);
    const gzipped = gzipSync(bundle, { level: 9 }).length;
    console.log(`worker bundle: ${(size / 1024).toFixed(1)} KiB, ${(gzipped / 1024).toFixed(1)} KiB gzip (free plan limit: 3072 KiB compressed)`);
    expect(gzipped).toBeLessThan(FREE_PLAN_LIMIT);
  });
});
