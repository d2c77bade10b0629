// `npm run build` (and `npm install`, by `prepare`): the program compiled to JavaScript once, so that it runs as a
// single node process with no TypeScript loader. esbuild bundles feedwerk's own modules into dist/ (the CLI, and the
// feed-reading thread's module beside it, with the chunks they share); the packages stay in node_modules.
// `--if-needed` builds only when a source file, the lockfile or this script is newer than dist/cli.js: what
// `npm start` and `npm run cli` run first.
import { existsSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = join(root, "dist");

function newestUnder(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestUnder(path) : statSync(path).mtimeMs);
  }
  return newest;
}

if (process.argv.includes("--if-needed")) {
  let built = 0;
  try {
    built = statSync(join(out, "cli.js")).mtimeMs;
  } catch {
    // not built yet
  }
  const sources = Math.max(newestUnder(join(root, "src")), ...["package-lock.json", "scripts/build.mjs"].map((f) => statSync(join(root, f)).mtimeMs));
  if (built > sources) process.exit(0);
}

// built beside dist/ and put in its place whole: a process running from dist/ meanwhile keeps the files it opened,
// and no chunk of an earlier build is left behind
const next = `${out}.next-${process.pid}`;
try {
  await build({
  entryPoints: { cli: "src/entry/cli/main.ts", "feed-reading-thread": "src/entry/node/feed-reading-thread.ts" },
  absWorkingDir: root,
  outdir: next,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
  });
} catch (error) {
  rmSync(next, { recursive: true, force: true });
  throw error;
}
const old = `${out}.old-${process.pid}`;
if (existsSync(out)) renameSync(out, old);
renameSync(next, out);
rmSync(old, { recursive: true, force: true });
