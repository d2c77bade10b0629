/** Subscriptions in and out as OPML, as feed readers exchange them. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { sourceEntry } from "../src/input/feed/source-entry";
import { readOpml, writeOpml } from "../src/input/opml";
import { cliSync } from "./support/cli";
import { backends } from "./support/databases";
import { expectWellFormedXml } from "./support/feeds";

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

  it("says where a broken or cut-off OPML file stops making sense", () => {
    expect(() => readOpml("<opml><body><outline")).toThrow("not readable OPML: line 1: the document ends inside <opml>, <body>, <outline> (truncated?)");
    expect(() => readOpml('<opml version="2.0">\n<body>\n<outline xmlUrl="a" <x/></body></opml>')).toThrow(/^not readable OPML: line 3: /);
  });

  it("takes from a category only tags it can name: one without a letter or digit is no tag", () => {
    const xml = '<opml version="2.0"><body><outline xmlUrl="https://a.example/f" text="A" category="!!!, Politik,  ,/"/></body></opml>';
    expect(readOpml(xml)).toEqual([{ url: "https://a.example/f", title: "A", tags: ["Politik"] }]);
  });

  it("refuses a followed feed's tag without a letter or digit, as the command line, the admin API and sources files give them", () => {
    const tagsOf = (tags: string[]) => sourceEntry.safeParse({ url: "https://a.example/f", tags });
    expect(tagsOf(["Politik", " Öl "]).data?.tags).toEqual(["Politik", "Öl"]);
    expect(tagsOf([""]).error?.issues[0]?.message).toBe("a tag must not be empty");
    expect(tagsOf(["!!!"]).error?.issues[0]?.message).toBe('a tag needs a letter or digit, got "!!!"');
  });

  it("reads its own export of no feeds as no feeds", () => {
    const xml = writeOpml("feedwerk", []);
    expect(readOpml(xml)).toEqual([]);
    expect(readOpml('<opml version="2.0"><body/></opml>')).toEqual([]);
  });

  it("imports and exports through the command line", async () => {
    const scratch = await backends[0]!.scratch();
    const run = (args: string[]) => cliSync(args, scratch.env);
    try {
      const imported = run(["sources", "import", file]);
      expect(imported.stdout).toContain("imported 3 of 4 feeds");
      expect(imported.stderr).toContain("skipped 'javascript:alert(1)'");
      // the rest went in, and the exit status says one could not
      expect(imported.status).toBe(1);
      const notOpml = join(dirname(file), "rss2.xml");
      const refused = run(["sources", "import", notOpml]);
      expect([refused.status, refused.stderr]).toEqual([1, `error: ${notOpml}: not OPML: no <opml><body>\n`]);
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

/** A config file's path in a folder of its own, and the CLI on an empty database of its own. */
async function configScratch() {
  const dirPath = mkdtempSync(join(tmpdir(), "feedwerk-config-"));
  const scratch = await backends[0]!.scratch();
  return {
    dirPath,
    config: join(dirPath, "sources.json"),
    run: (args: string[]) => cliSync(args, scratch.env),
    dispose: async () => {
      await scratch.dispose();
      rmSync(dirPath, { recursive: true, force: true });
    },
  };
}

describe("the sources config file", () => {
  it("adds, retags and (with --prune) removes feeds to match the file", async () => {
    const { config, run, dispose } = await configScratch();
    try {
      writeFileSync(
        config,
        JSON.stringify({
          sources: [
            { url: "https://a.example/feed", tags: ["Eins"] },
            { url: "https://b.example/feed", name: "b" },
          ],
        }),
      );
      expect(run(["sources", "apply", config]).stdout).toContain("2 added, 0 updated, 0 unchanged, 0 removed");
      expect(run(["sources", "apply", config]).stdout).toContain("0 added, 0 updated, 2 unchanged, 0 removed");
      writeFileSync(config, JSON.stringify({ sources: [{ url: "https://a.example/feed", tags: ["Zwei"] }] }));
      expect(run(["sources", "apply", config]).stdout).toContain("0 added, 1 updated, 0 unchanged, 0 removed");
      expect(run(["sources", "apply", config, "--prune"]).stdout).toContain("0 added, 0 updated, 1 unchanged, 1 removed");
      const exported = readOpml(run(["sources", "export"]).stdout);
      expect(exported.map((f) => [f.url, f.tags])).toEqual([["https://a.example/feed", ["Zwei"]]]);
      writeFileSync(config, JSON.stringify({ sources: [{ url: "ftp://x" }] }));
      const bad = run(["sources", "apply", config]);
      expect([bad.status, bad.stderr.trim()]).toEqual([1, `error: ${config}: sources[0].url: only http and https feeds can be followed`]);
      // a feed listed twice (the URL as it is followed: a host in capitals is the same) is refused, naming both entries
      writeFileSync(config, JSON.stringify({ sources: [{ url: "https://a.example/feed" }, { url: "https://A.example/feed", tags: ["X"] }] }));
      const twice = run(["sources", "apply", config]);
      expect([twice.status, twice.stderr.trim()]).toEqual([1, `error: ${config}: sources[1].url: the same url as sources[0]`]);
      // every fault of the file in one run: the schema's and the duplicates'
      writeFileSync(
        config,
        JSON.stringify({
          sources: [{ url: "https://a.example/feed", tagz: [] }, { url: "https://b.example/feed", tags: "Welt" }, { url: "https://b.example/feed" }],
        }),
      );
      const both = run(["sources", "apply", config]);
      expect(both.status).toBe(1);
      expect(both.stderr).toContain(`error: ${config}: sources[0]: unknown key "tagz"`);
      expect(both.stderr).toContain(`error: ${config}: sources[2].url: the same url as sources[1]`);
      expect(readOpml(run(["sources", "export"]).stdout).map((f) => [f.url, f.tags])).toEqual([["https://a.example/feed", ["Zwei"]]]);
    } finally {
      await dispose();
    }
  });

  it("refuses a file that is not what it should be, naming the file, the entry and the key, and changes nothing", async () => {
    const { dirPath, config, run, dispose } = await configScratch();
    try {
      writeFileSync(config, JSON.stringify({ sources: [{ url: "https://a.example/feed", tags: ["Zwei"] }] }));
      expect(run(["sources", "apply", config]).status).toBe(0);

      // a misspelt key is an error naming the key and the file, and the feed keeps its tags
      writeFileSync(
        config,
        JSON.stringify({
          sources: [
            { url: "https://a.example/feed", tagz: ["Drei"] },
            { url: "https://c.example/feed", tags: "Vier" },
          ],
        }),
      );
      const misspelt = run(["sources", "apply", config]);
      expect(misspelt.status).toBe(1);
      expect(misspelt.stderr.trim().split("\n")).toEqual([
        `error: ${config}: sources[0]: unknown key "tagz"`,
        `error: ${config}: sources[1].tags: Invalid input: expected array, received string`,
      ]);
      expect(readOpml(run(["sources", "export"]).stdout).map((f) => [f.url, f.tags])).toEqual([["https://a.example/feed", ["Zwei"]]]);
      writeFileSync(config, JSON.stringify({ feeds: [] }));
      expect(run(["sources", "apply", config]).stderr).toContain(`error: ${config}: unknown key "feeds"`);
      writeFileSync(config, '{"sources": [\n  {"url": "https://a.example/feed",}\n]}\n');
      expect(run(["sources", "apply", config]).stderr.trim()).toMatch(
        new RegExp(`^error: ${config.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2: not JSON: .*column \\d+\\)$`),
      );
      const missing = run(["sources", "apply", join(dirPath, "nope.json")]);
      expect([missing.status, missing.stderr.trim()]).toEqual([1, `error: ${join(dirPath, "nope.json")}: no such file or folder`]);
      const noOpml = run(["sources", "import", "/missing.opml"]);
      expect([noOpml.status, noOpml.stderr.trim()]).toEqual([1, "error: /missing.opml: no such file or folder"]);
    } finally {
      await dispose();
    }
  }, 180_000);
});
