/**
 * One core, many shells: what the Worker will import (reading pages,
 * normalising, storage queries, the app) must not use Node built-ins.
 * Only the shells (src/entry), the Node database opener, the page-file
 * reader and the HTTP fetcher may.
 */
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const src = join(import.meta.dirname, "..", "src");
// input/fetch resolves names and checks the addresses it connects to (DNS, sockets): a Node adapter
const NODE_ONLY = new Set(["entry", "storage/open.ts", "input/page-files.ts", "input/fetch"]);
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? files(path) : e.name.endsWith(".ts") ? [path] : [];
  });
}

describe("the core", () => {
  const core = files(src).filter((f) => {
    const rel = relative(src, f);
    return ![...NODE_ONLY].some((n) => rel === n || rel.startsWith(`${n}/`));
  });

  it("is most of the code", () => {
    expect(core.length).toBeGreaterThan(20);
  });

  it.each(core.map((f) => [relative(src, f), f]))("%s imports no Node built-in", (_rel, file) => {
    const text = readFileSync(file, "utf8");
    const imports = [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]!);
    expect(imports.filter((i) => builtins.has(i))).toEqual([]);
    expect(text).not.toMatch(/\bprocess\.(env|argv|exit|cwd)\b|\bBuffer\./);
  });
});
