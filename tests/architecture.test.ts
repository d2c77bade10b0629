/**
 * One core, many shells: what the Worker will import (reading pages,
 * normalising, storage queries, the app) must not use Node built-ins,
 * but for those the Workers runtime itself provides under nodejs_compat
 * (IN_WORKERS). Only the shells (src/entry), the Node database opener and its backups, the page-file
 * reader and the HTTP fetcher may.
 *
 * Layers that only point down: each folder of src has a layer, and a module
 * imports from its own folder and from layers below it, never from one
 * above or beside it. The source layout in docs/architecture.md names the tree as it is.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const src = join(root, "src");
// input/fetch resolves names and checks the addresses it connects to (DNS, sockets): a Node adapter
const NODE_ONLY = new Set([
  "entry",
  "storage/open.ts",
  "storage/backup.ts",
  "storage/data-folder.ts",
  "storage/pg-programs.ts",
  "storage/pglite-share.ts",
  "storage/package-root.ts",
  "input/page-files.ts",
  "input/fetch",
]);
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
// built-ins the Worker has natively under nodejs_compat, and that the core may use (as node:…): createHash for SHA-256
const IN_WORKERS = new Set(["node:crypto"]);

/** Lowest first. Folders of one layer are side by side: neither imports the other. */
const LAYERS: string[][] = [
  ["normalise"], // the item model and its rules, over plain values
  ["xml"], // writing XML, for feeds and for OPML
  ["input", "storage"], // documents read; the database
  ["pipeline"], // documents in, items stored
  ["publish", "admin"], // feeds out; the admin API
  ["entry"], // the shells, which compose the rest
];
const layerOf = new Map(LAYERS.flatMap((folders, rank) => folders.map((folder) => [folder, rank] as const)));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? files(path) : e.name.endsWith(".ts") ? [path] : [];
  });
}

function folders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => [join(dir, e.name), ...folders(join(dir, e.name))]);
}

const importsOf = (text: string) => [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]!);

/** The imports of a module (its path below src) that point up or sideways, as "folder → folder (specifier)". */
function wrongWayImports(file: string, specifiers: string[]): string[] {
  const own = file.split("/")[0]!;
  return specifiers
    .filter((s) => s.startsWith("."))
    .map((s) => [s, relative(src, resolve(src, dirname(file), s)).split("/")[0]!] as const)
    .filter(([, target]) => target !== own && !((layerOf.get(target) ?? Infinity) < (layerOf.get(own) ?? -Infinity)))
    .map(([s, target]) => `${own} → ${target} (${s})`);
}

const modules = files(src).map((f) => relative(src, f));

describe("the core", () => {
  const core = modules.filter((rel) => ![...NODE_ONLY].some((n) => rel === n || rel.startsWith(`${n}/`)));

  it("is most of the code", () => {
    expect(core.length).toBeGreaterThan(20);
  });

  it.each(core.map((rel) => [rel, join(src, rel)]))("%s imports no Node built-in the Worker lacks", (_rel, file) => {
    const text = readFileSync(file, "utf8");
    expect(importsOf(text).filter((i) => builtins.has(i) && !IN_WORKERS.has(i))).toEqual([]);
    expect(text).not.toMatch(/\bprocess\.(env|argv|exit|cwd)\b|\bBuffer\./);
  });
});

describe("the layers", () => {
  it("give every folder of src a place", () => {
    const top = readdirSync(src, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(top.filter((folder) => !layerOf.has(folder))).toEqual([]);
    expect([...layerOf.keys()].filter((folder) => !top.includes(folder))).toEqual([]);
  });

  it.each([
    { file: "input/opml.ts", specifier: "../publish/xml-writer", wrong: true },
    { file: "publish/app.ts", specifier: "../admin/api", wrong: true },
    { file: "storage/queries.ts", specifier: "../input/feed/media", wrong: true },
    { file: "normalise/item.ts", specifier: "../storage/schema", wrong: true },
    { file: "input/feed/to-items.ts", specifier: "../../pipeline/poll-feeds", wrong: true },
    { file: "publish/rss.ts", specifier: "../xml/writer", wrong: false },
    { file: "entry/commands/pages.ts", specifier: "../../pipeline/ingest-page", wrong: false },
    { file: "input/feed/to-items.ts", specifier: "../page/dates", wrong: false },
    { file: "pipeline/poll-feeds.ts", specifier: "undici", wrong: false },
  ])("judge $file importing $specifier (wrong way: $wrong)", ({ file, specifier, wrong }) => {
    expect(wrongWayImports(file, [specifier]).length > 0).toBe(wrong);
  });

  it.each(modules)("%s imports only from its own folder and the layers below", (rel) => {
    expect(wrongWayImports(rel, importsOf(readFileSync(join(src, rel), "utf8")))).toEqual([]);
  });
});

describe("the modules", () => {
  /** A module's relative imports, as paths below src. */
  const importedBy = new Map(
    modules.map((rel) => {
      const targets = importsOf(readFileSync(join(src, rel), "utf8"))
        .filter((s) => s.startsWith("."))
        .map((s) => relative(src, resolve(src, dirname(rel), s)))
        .map((target) => [`${target}.ts`, `${target}/index.ts`].find((candidate) => modules.includes(candidate)))
        .filter((target): target is string => target !== undefined);
      return [rel, targets] as const;
    }),
  );

  it.each(modules)("%s is at most 400 lines", (rel) => {
    expect(readFileSync(join(src, rel), "utf8").split("\n").length).toBeLessThanOrEqual(401);
  });

  it("import one another without a cycle, type imports included", () => {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (rel: string, path: string[]) => {
      if (state.get(rel) === "done") return;
      if (state.get(rel) === "open") return void cycles.push([...path.slice(path.indexOf(rel)), rel].join(" → "));
      state.set(rel, "open");
      for (const next of importedBy.get(rel) ?? []) visit(next, [...path, rel]);
      state.set(rel, "done");
    };
    for (const rel of modules) visit(rel, []);
    expect(cycles).toEqual([]);
  });

  it("are read with their imports (the graph the cycle check walks is not empty)", () => {
    expect([...importedBy.values()].flat().length).toBeGreaterThan(modules.length);
  });
});

describe("the source layout in docs/architecture.md", () => {
  const page = readFileSync(join(root, "docs", "architecture.md"), "utf8");
  const start = page.indexOf("\n## Source layout");
  const next = page.indexOf("\n## ", start + 1);
  const section = page.slice(start, next === -1 ? undefined : next);
  const tree = section.match(/```\n([\s\S]*?)```/)![1]!;
  // "  input/feed/     the feed reader: …" below "src/"; "drizzle/   migrations …" beside it
  const inSrc = [...tree.matchAll(/^ {2}([a-z-]+(?:\/[a-z-]+)*)\/ /gm)].map((m) => `src/${m[1]}`);
  const besideSrc = [...tree.matchAll(/^([a-z-]+)\/ /gm)].map((m) => m[1]!);

  it("names every folder of src", () => {
    expect(inSrc.length).toBeGreaterThan(5);
    const tree = folders(src).map((f) => relative(root, f));
    expect(tree.filter((folder) => !inSrc.includes(folder))).toEqual([]);
  });

  it.each([...inSrc, ...besideSrc])("names %s, which exists", (folder) => {
    expect(statSync(join(root, folder)).isDirectory()).toBe(true);
  });

  it.each([...new Set(section.match(/`src\/[^`\s]+`/g)!.map((m) => m.slice(1, -1)))])("names %s, which exists", (path) => {
    expect(existsSync(join(root, path))).toBe(true);
  });
});
