/**
 * The command line as a user runs it: a child process, real files, a real
 * database (PGlite and PostgreSQL), exit codes and messages.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countItems } from "../src/storage/queries";
import { documents } from "../src/storage/schema";
import { cliSync as cli } from "./support/cli";
import { backends } from "./support/databases";

const root = join(import.meta.dirname, "..");
const seed = readFileSync(join(root, "seeds", "000_fd0f4cb902b02a9c.txt"));
const expected = JSON.parse(readFileSync(join(import.meta.dirname, "pages", "seed-alaska.expected.json"), "utf8"));

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "feedwerk-cli-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("cli parse", () => {
  it("prints the seed's items as JSON with every field of the contract", () => {
    const run = cli(["parse", "seeds/000_fd0f4cb902b02a9c.txt", "--fetched-at", "2025-12-09T13:00:00Z"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const { items } = JSON.parse(run.stdout);
    expect(items).toHaveLength(expected.items.length);
    items.forEach((item: any, i: number) => {
      const want = expected.items[i];
      for (const key of ["kind", "kicker", "publishedAt", "agency", "dateline", "tags", "commentCount", "image"]) {
        expect(item[key], `${want.title}: ${key}`).toEqual(want[key]);
      }
      expect(item.title.replace(/\s+/gu, " ")).toBe(want.title.replace(/\s+/gu, " "));
      expect(item.summary).toContain(want.summaryContains);
      expect(item.guid).toMatch(/^urn:feedwerk:item:/);
      expect("contentHtml" in item).toBe(true);
    });
  });

  it("takes the fetch time from the page's .meta.json when none is given", () => {
    const run = cli(["parse", "seeds/000_fd0f4cb902b02a9c.txt"]);
    expect(run.status).toBe(0);
    const { items } = JSON.parse(run.stdout);
    expect(items[1].publishedAt).toBe("2025-12-09T12:57:00Z");
  });

  it("refuses a fetch time without a zone", () => {
    const run = cli(["parse", "seeds/000_fd0f4cb902b02a9c.txt", "--fetched-at", "2025-12-09 13:00"]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("--fetched-at");
  });

  it("names the file and line of a page it cannot read", () => {
    const path = join(work, "cut.txt");
    writeFileSync(path, seed.subarray(0, 4000));
    const run = cli(["parse", path]);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(new RegExp(`^error: ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+: .*truncated`));
  });
});

for (const backend of backends) {
  describe.skipIf(backend.unavailable)(`cli ingest on ${backend.name}`, () => {
    it("ingests a folder, reports each page and refuses bad files one line each, writing nothing of them", async () => {
      const dir = join(work, `batch-${backend.name}`);
      mkdirSync(dir);
      copyFileSync(join(root, "seeds", "000_fd0f4cb902b02a9c.txt"), join(dir, "a-seed.txt"));
      copyFileSync(join(root, "seeds", "000_fd0f4cb902b02a9c.meta.json"), join(dir, "a-seed.meta.json"));
      copyFileSync(join(import.meta.dirname, "pages", "winter-no-image.txt"), join(dir, "b-winter.txt"));
      writeFileSync(join(dir, "c-truncated.txt"), seed.subarray(0, Math.floor(seed.length / 2)));
      writeFileSync(join(dir, "d-empty.txt"), "");
      writeFileSync(join(dir, "e-binary.jpg"), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]));
      writeFileSync(join(dir, "f-page.html"), "<!doctype html><html><body><h1>Nachrichten</h1></body></html>\n");
      writeFileSync(join(dir, "g-feed.xml"), '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>\n');
      writeFileSync(join(dir, "h-latin1.txt"), Buffer.from("Gr\xfc\xdfe aus M\xfcnchen\n", "latin1"));

      const scratch = await backend.scratch();
      try {
        const run = cli(["ingest", dir, "--fetched-at", "2026-01-15T09:00:00Z"], scratch.env);
        expect(run.status).toBe(1);
        const out = run.stdout.trim().split("\n");
        expect(out).toContain(`${join(dir, "a-seed.txt")}: 17 new, 0 updated, 0 unchanged`);
        expect(out).toContain(`${join(dir, "b-winter.txt")}: 10 new, 0 updated, 0 unchanged`);
        expect(out.at(-1)).toBe("ingested 2 of 8 pages: 27 new, 0 updated, 0 unchanged; 6 failed");
        const errors = run.stderr.trim().split("\n");
        expect(errors).toHaveLength(6);
        const expectations: [string, RegExp][] = [
          ["c-truncated.txt", /:\d+: page ends before the tag list.*truncated/],
          ["d-empty.txt", /:1: empty file/],
          ["e-binary.jpg", /:1: binary file/],
          ["f-page.html", /:1: not a news page/],
          ["g-feed.xml", /:1: not a news page/],
          ["h-latin1.txt", /:1: not UTF-8 text/],
        ];
        expectations.forEach(([file, pattern], i) => {
          expect(errors[i]).toContain(file);
          expect(errors[i]).toMatch(pattern);
        });

        const opened = await scratch.open();
        try {
          expect(await countItems(opened.db)).toBe(27);
          expect(await opened.db.$count(documents)).toBe(2);
        } finally {
          await opened.close();
        }

        const again = cli(["ingest", join(dir, "a-seed.txt"), "--fetched-at", "2026-01-15T09:00:00Z"], scratch.env);
        expect(again.status).toBe(0);
        expect(again.stdout).toMatch(/a-seed\.txt: 0 new, 0 updated, 17 unchanged/);
      } finally {
        await scratch.dispose();
      }
    });
  });
}

describe("the embedded database", () => {
  it("is refused to a second process while one has it open", async () => {
    const scratch = await backends[0]!.scratch();
    const opened = await scratch.open();
    try {
      const run = cli(["migrate"], scratch.env);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/is in use by process \d+/);
    } finally {
      await opened.close();
      await scratch.dispose();
    }
  });
});
