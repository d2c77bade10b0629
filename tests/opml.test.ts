/** Subscriptions in and out as OPML, as feed readers exchange them. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readOpml, writeOpml } from "../src/input/opml";
import { backends } from "./support/databases";
import { expectWellFormedXml } from "./support/feeds";

const root = join(import.meta.dirname, "..");
const file = join(import.meta.dirname, "feeds", "subscriptions.opml");

describe("OPML", () => {
  it("reads feeds with their folders and categories as tags", () => {
    expect(readOpml(readFileSync(file, "utf8"))).toEqual([
      { url: "https://news.example.com/rss", title: "Beispiel-Nachrichten", tags: ["Nachrichten"] },
      { url: "https://world.example.org/atom.xml", title: "Welt & mehr", tags: ["Nachrichten", "Ausland", "Politik", "Europa"] },
      { url: "https://plain.example.net/feed.json", title: "Ohne Ordner", tags: [] },
      { url: "javascript:alert(1)", title: "Kaputt", tags: [] },
    ]);
  });

  it("writes what it reads", async () => {
    const xml = writeOpml("t", [{ name: "A & B", url: "https://a.example/feed?x=1&y=2", tags: ["Eins", "Zwei"] }]);
    await expectWellFormedXml(xml);
    expect(readOpml(xml)).toEqual([{ url: "https://a.example/feed?x=1&y=2", title: "A & B", tags: ["Eins", "Zwei"] }]);
  });

  it("refuses what is not OPML", () => {
    expect(() => readOpml("<rss/>")).toThrow(/not OPML/);
  });

  it("imports and exports through the command line", async () => {
    const scratch = await backends[0]!.scratch();
    const run = (args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", join(root, "src/entry/cli.ts"), ...args], { cwd: root, env: { ...process.env, ...scratch.env }, encoding: "utf8" });
    try {
      const imported = run(["sources", "import", file]);
      expect(imported.stdout).toContain("imported 3 of 4 feeds");
      expect(imported.stderr).toContain("skipped 'javascript:alert(1)'");
      expect(run(["sources", "import", file]).stdout).toContain("imported 0 of 4 feeds");
      const exported = run(["sources", "export"]);
      expect(readOpml(exported.stdout).map((f) => [f.url, f.title, f.tags])).toEqual([
        ["https://news.example.com/rss", "Beispiel-Nachrichten", ["Nachrichten"]],
        ["https://plain.example.net/feed.json", "Ohne Ordner", []],
        ["https://world.example.org/atom.xml", "Welt & mehr", ["Nachrichten", "Ausland", "Politik", "Europa"]],
      ]);
    } finally {
      await scratch.dispose();
    }
  });
});
