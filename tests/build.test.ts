/**
 * The program as `npm install` builds it (scripts/build.mjs, esbuild into
 * dist/) and as `npm start`, `npm run cli` and an installed `feedwerk` run
 * it: one node process, no TypeScript loader. It finds its own files
 * (package.json, drizzle/, seeds/) from dist/, reads what the TypeScript
 * does, and its feed-reading threads load the bundled thread module.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtCli, cli, ROOT } from "./support/cli";
import { backends } from "./support/databases";

const built = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [join(ROOT, "dist/cli.js"), ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8", timeout: 60_000 });

let server: Server;
let base: string;
beforeAll(async () => {
  // built if the sources are newer (as `npm start` does), not rebuilt over a build another test's process may be running
  const build = spawnSync(process.execPath, ["scripts/build.mjs", "--if-needed"], { cwd: ROOT, encoding: "utf8" });
  expect(build.status, build.stderr).toBe(0);
  server = createServer((req, res) => {
    const path = req.url ?? "/";
    if (path === "/politik/") return res.writeHead(200, { "content-type": "text/html" }).end(readFileSync(join(ROOT, "tests/site/ressort.html")));
    const article = /^\/politik\/2026\/12\/([a-z-]+)$/.exec(path);
    if (article) return res.writeHead(200, { "content-type": "text/html" }).end(readFileSync(join(ROOT, `tests/site/${article[1]}.html`)));
    return res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}, 60_000);
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("the built program", () => {
  it("is up to date with the sources, and --if-needed then builds nothing", () => {
    const newest = (dir: string): number =>
      Math.max(...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
    const before = statSync(join(ROOT, "dist/cli.js")).mtimeMs;
    expect(before).toBeGreaterThan(newest(join(ROOT, "src")));
    expect(spawnSync(process.execPath, ["scripts/build.mjs", "--if-needed"], { cwd: ROOT }).status).toBe(0);
    expect(statSync(join(ROOT, "dist/cli.js")).mtimeMs).toBe(before);
  });

  it("says its version, and reads a page as the TypeScript does", async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(built(["--version"]).stdout).toBe(`${version}\n`);
    const seed = join(ROOT, "seeds", "000_fd0f4cb902b02a9c.txt");
    const page = join(ROOT, "tests", "site", "landtag-beschliesst-neues-schulgesetz.html");
    for (const args of [
      ["parse", seed],
      ["parse", "--jsonl", seed, page],
    ]) {
      const compiled = built(args);
      expect(compiled.status, compiled.stderr).toBe(0);
      expect(compiled.stdout).toBe((await cli(args)).stdout);
    }
  });

  it("reads a .env file in the current folder, the environment winning, and checks it as the environment", () => {
    const dir = mkdtempSync(join(tmpdir(), "feedwerk-env-"));
    try {
      writeFileSync(join(dir, ".env"), "# settings\nPORT=80a\nFEEDWERK_RETAIN_DAYS=30\n");
      const { PORT: _, FEEDWERK_RETAIN_DAYS: __, ...outside } = process.env;
      const run = (env: Record<string, string>) =>
        spawnSync(process.execPath, [join(ROOT, "dist/cli.js"), "sources", "list"], {
          cwd: dir,
          env: { ...outside, DATABASE_URL: "", FEEDWERK_DATA: join(dir, "data"), ...env },
          encoding: "utf8",
        });
      const fromFile = run({});
      expect([fromFile.status, fromFile.stderr]).toEqual([1, "error: PORT: must be a port number from 0 to 65535, got '80a'\n"]);
      const fromEnvironment = run({ PORT: "8080" });
      expect([fromEnvironment.status, fromEnvironment.stdout]).toEqual([0, "no feeds followed yet: 'sources add URL'\n"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  for (const backend of backends) {
    it.skipIf(backend.unavailable)(
      `migrates, follows a page and reads its articles on its reading threads, on ${backend.name}`,
      async () => {
        const scratch = await backend.scratch();
        const env = { ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1", FEEDWERK_ARTICLE_SPACING_MS: "0" };
        try {
          expect(built(["migrate"], env).status).toBe(0);
          expect(built(["sources", "add", `${base}/politik/`, "--full-text"], env).stdout).toContain("(with full text)");
          // fetch reads on a pool of threads: the bundled thread module, loaded without tsx
          const pass = await builtCli(["fetch"], env);
          expect(pass.status, pass.stderr).toBe(0);
          expect(pass.stdout).toMatch(/stored\s+3\s/);
          expect(pass.stdout).toContain("full text: 3 articles read");
        } finally {
          await scratch.dispose();
        }
      },
      60_000,
    );
  }
});
