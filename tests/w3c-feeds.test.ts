/**
 * Every tag feed judged by the W3C Feed Validation Service's code
 * (../shared/validators): the seeds as `npm start` ingests them, a later page
 * that shows some of their stories again, followed RSS feeds (one of entries
 * with a headline alone or an image alone) and the podcast fixtures, rendered as RSS and Atom on both storage backends, must draw no
 * error and no warning. JSON Feed is left out: the validator reads XML only
 * and passes anything else, a JSON Feed as much as a blank file, without a
 * word (tests/support/feeds.ts checks JSON Feed 1.1's rules instead). Under CI
 * a missing validator or Python module fails the run instead of skipping.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listPageFiles, readPageFile } from "../src/input/page-files";
import { ingestPage } from "../src/pipeline/ingest-page";
import { createApp } from "../src/publish/app";
import { VersionBook } from "../src/publish/version-book";
import { listTags } from "../src/storage/queries";
import { addFeedSource } from "../src/storage/sources";
import { forEachDatabase } from "./support/databases";
import { pollPodcasts, serveFeeds } from "./support/podcasts";
import { validateFeeds, w3cValidatorAvailable, type FeedToValidate, type ValidatorEvent } from "./support/w3c-validator";

const available = await w3cValidatorAvailable();
if (!available && process.env.CI) {
  throw new Error(
    "CI is set but the W3C validator (../shared/validators) or its Python modules (lxml, html5lib, rdflib) are missing: the W3C feed tests must run in CI",
  );
}

const BASE = "https://feeds.example.org";
const SEEDS = join(import.meta.dirname, "..", "seeds");
const LATER_PAGE = join(import.meta.dirname, "pages", "prag-followup.txt");
const RSS2 = readFileSync(join(import.meta.dirname, "feeds", "rss2.xml"), "utf8");
// entries that bring a headline alone, or an image without a word
const EMPTY_MARKUP = readFileSync(join(import.meta.dirname, "feeds", "empty-markup.xml"), "utf8");
const FORMATS = ["xml", "atom"] as const;

interface Judged {
  feed: string;
  events: ValidatorEvent[];
}

describe.skipIf(!available)("the W3C validator as this suite runs it", () => {
  it("reports entries of one feed that share an updated, and an empty summary", async () => {
    const dir = mkdtempSync(join(tmpdir(), "feedwerk-w3c-"));
    try {
      const entry = (n: number, summary: string) =>
        `<entry><id>tag:example.org,2025:${n}</id><title>${n}</title><link href="https://example.org/${n}"/><updated>2025-12-09T13:00:00Z</updated><summary>${summary}</summary></entry>`;
      const file = join(dir, "shared.atom");
      const url = "https://example.org/shared.atom";
      writeFileSync(
        file,
        `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>tag:example.org,2025:feed</id><title>x</title><updated>2025-12-09T13:00:00Z</updated>
<author><name>x</name></author><link rel="self" href="${url}"/>
${entry(1, "eins")}${entry(2, "")}
</feed>
`,
      );
      const events = (await validateFeeds([{ file, url }])).get(file)!;
      expect(events.map((e) => `${e.level} ${e.type}`).sort()).toEqual(["WARNING DuplicateUpdated", "WARNING NotBlank"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

forEachDatabase(
  "the W3C Feed Validation Service's code on every tag feed",
  (opened, backend) => {
    const judged: Judged[] = [];
    let scratch: string;

    beforeAll(async () => {
      scratch = mkdtempSync(join(tmpdir(), "feedwerk-w3c-"));
      const feeds = await serveFeeds();
      try {
        for (const file of (await listPageFiles([SEEDS])).files) {
          const page = await readPageFile(file);
          await ingestPage(opened.db, { name: file, bytes: page.bytes, fetchedAt: page.fetchedAt });
        }
        await ingestPage(opened.db, {
          name: "prag-followup.txt",
          bytes: new Uint8Array(readFileSync(LATER_PAGE)),
          fetchedAt: new Date("2025-12-09T15:00:00Z"),
        });
        feeds.serve("rss2.xml", RSS2);
        await addFeedSource(opened.db, { url: `${feeds.url}/rss2.xml`, tags: ["Kultur-Tipp"] });
        feeds.serve("empty-markup.xml", EMPTY_MARKUP);
        await addFeedSource(opened.db, { url: `${feeds.url}/empty-markup.xml`, tags: ["Knapp"] });
        await pollPodcasts(opened.db, feeds);

        const app = createApp({ db: opened.db, publicUrl: BASE, versions: new VersionBook(opened.db, { maxAgeMs: 60_000 }) });
        const rendered: (FeedToValidate & { feed: string })[] = [];
        for (const tag of await listTags(opened.db)) {
          for (const format of FORMATS) {
            const url = `${BASE}/feeds/${tag.slug}.${format}`;
            const response = await app.fetch(new Request(url));
            expect(response.status, url).toBe(200);
            const file = join(scratch, `${tag.slug}.${format}`);
            writeFileSync(file, await response.text());
            rendered.push({ feed: `${tag.slug}.${format}`, file, url });
          }
        }
        const events = await validateFeeds(rendered);
        for (const r of rendered) judged.push({ feed: r.feed, events: events.get(r.file)! });
      } finally {
        await feeds.close();
      }
    }, 600_000);
    afterAll(() => {
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    it("judges the feeds of every tag: the seeds', the later page's, the followed feed's and the podcasts'", () => {
      const slugs = new Set(judged.map((j) => j.feed.replace(/\.\w+$/, "")));
      for (const slug of ["ukraine", "kultur-tipp", "podcast", "knapp"]) expect(slugs, slug).toContain(slug);
      expect(judged.length).toBe(slugs.size * FORMATS.length);
    });

    it("finds no error and no warning in any RSS or Atom feed", () => {
      const counts: Record<string, number> = {};
      for (const { events } of judged) for (const e of events) counts[`${e.level} ${e.type}`] = (counts[`${e.level} ${e.type}`] ?? 0) + 1;
      console.log(`W3C validator on ${judged.length} feeds (${backend.name}): ${JSON.stringify(counts)}`);
      const offending = judged.flatMap(({ feed, events }) =>
        events.filter((e) => e.level !== "INFO").map((e) => `${feed}:${e.line}: ${e.level} ${e.type}: ${e.text}`),
      );
      expect(offending).toEqual([]);
    });
  },
  { unavailable: available ? null : "validator or its Python modules missing" },
);
