/** What the documentation promises about the repository itself: secrets kept out of it, and links that lead somewhere. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const read = (name: string) => readFileSync(join(root, name), "utf8");

describe("the local Worker's secrets", () => {
  it("go in .dev.vars, which docs/workers.md explains and .gitignore keeps out of the repository", () => {
    const ignored = read(".gitignore").split("\n");
    for (const name of [".dev.vars", ".env"]) expect(ignored, name).toContain(name);
    expect(read("docs/workers.md")).toMatch(/FEEDWERK_ADMIN_TOKEN="[^"]+"' > \.dev\.vars/);
    expect(read("README.md"), "the README names where the secrets go").toContain(".dev.vars");
  });
});

// GitHub's anchor for a heading: lower case, punctuation other than hyphens dropped, spaces made hyphens
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");

describe("the documentation's links", () => {
  const pages = [
    "README.md",
    "CHANGELOG.md",
    ...readdirSync(join(root, "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => `docs/${f}`),
  ];
  const anchors = new Map<string, Set<string>>();
  const anchorsOf = (page: string) => {
    let found = anchors.get(page);
    if (!found) {
      // headings outside fenced code
      const text = read(page).replace(/^```[\s\S]*?^```/gm, "");
      found = new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => anchorOf(m[1]!)));
      anchors.set(page, found);
    }
    return found;
  };
  for (const page of pages) {
    it(`${page}: every relative link reaches a file, and every #anchor a heading of it`, () => {
      const broken: string[] = [];
      const text = read(page).replace(/^```[\s\S]*?^```/gm, "");
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z][a-z+.-]*:/i.test(target!)) continue;
        const [path, anchor] = target!.split("#", 2) as [string, string | undefined];
        const file = path ? join(dirname(page), path) : page;
        if (!existsSync(join(root, file))) {
          broken.push(`${target}: no file ${file}`);
          continue;
        }
        if (anchor && file.endsWith(".md") && !anchorsOf(file).has(anchor)) broken.push(`${target}: no heading #${anchor} in ${file}`);
      }
      expect(broken).toEqual([]);
    });
  }
});
