/**
 * Following a site without a feed, end to end on both backends: a section
 * page and its article pages served from a local server (tests/site), read
 * by `sources add URL --full-text` and `fetch` as a user runs them. The
 * server counts every request: an article page is fetched once, however
 * many passes follow; robots.txt is honoured; a page that is no article
 * leaves its teaser and is counted in `sources list`; a teaser, a feed
 * entry and an article page of one story are one item.
 */
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { articlePages, items, observations, sources } from "../src/storage/schema";
import { cli, startCli } from "./support/cli";
import { backends, forEachBackend } from "./support/databases";

const site = (name: string) => readFileSync(join(import.meta.dirname, "site", name));
const ARTICLES = ["haushalt-koalition-einigt-sich-nach-langer-nacht", "landtag-beschliesst-neues-schulgesetz", "buergermeisterwahl-stichwahl-am-sonntag"];

// a second section whose article links go wrong: one is gone, one robots.txt keeps out, one is a consent wall
const SPORT = `<!DOCTYPE html><html lang="de"><head><title>Sport</title></head><body><main>
<article><h2><a href="/sport/2026/12/abgesagtes-spiel-wird-nachgeholt">Abgesagtes Spiel wird im Januar nachgeholt</a></h2><p>Der Verband hat einen neuen Termin gefunden.</p></article>
<article><h2><a href="/privat/2026/12/interne-notiz-zum-trainerwechsel">Interne Notiz zum Trainerwechsel im Verein</a></h2><p>Was der Vorstand beschlossen hat.</p></article>
<article><h2><a href="/sport/2026/12/einwilligung-erforderlich-fuer-diesen-artikel">Torjäger verlängert seinen Vertrag bis 2029</a></h2><p>Der Stürmer bleibt dem Verein erhalten.</p></article>
<article><h2><a href="/sport/2026/12/tabelle-nach-dem-spieltag">Die Tabelle nach dem 14. Spieltag</a></h2><p>Wer oben steht.</p></article>
</main></body></html>`;
// an article page that says it is the home page (a redirect to it, or a page that lost its article): no story's text
const HOME = (base: string) =>
  site("landtag-beschliesst-neues-schulgesetz.html")
    .toString()
    .replace(/<link rel="canonical"[^>]*>/, `<link rel="canonical" href="${base}/">`);
const CONSENT = `<!DOCTYPE html><html lang="de"><head><title>Einwilligung</title></head><body><main><h1>Bevor Sie weiterlesen</h1>
<p>Wir nutzen Cookies. Bitte stimmen Sie der Datenschutzeinstellungen zu, um fortzufahren.</p></main></body></html>`;
// a feed whose entry carries one line and links to an article page of the site
const feed = (
  base: string,
) => `<?xml version="1.0"?><rss version="2.0"><channel><title>Rundschau Politik</title><link>${base}/politik/</link><description>d</description>
<item><title>Landtag beschließt neues Schulgesetz</title><link>${base}/politik/2026/12/landtag-beschliesst-neues-schulgesetz</link><guid isPermaLink="false">rs-4711</guid><description>Kleinere Klassen.</description></item></channel></rss>`;

let server: Server;
let base: string;
const hits = new Map<string, number>();
/** Each article page request: when it came, and whether it was conditional (and so answered 304). */
const articleRequests: { path: string; at: number; conditional: boolean }[] = [];
// a section whose one article answers only when let go: a poller stopped while it waits
const SLOW_ARTICLE = "/langsam/2026/12/ein-artikel-der-auf-sich-warten-laesst";
let slowHeld = true;
const SLOW = `<!DOCTYPE html><html lang="de"><body><main>
<article><h2><a href="${SLOW_ARTICLE}">Ein Artikel, der auf sich warten lässt</a></h2><p>Geduld.</p></article>
<article><h2><a href="/langsam/2026/12/noch-ein-artikel-der-wartet">Noch ein Artikel, der wartet</a></h2><p>Auch.</p></article>
</main></body></html>`;
beforeAll(async () => {
  server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const html = { "content-type": "text/html; charset=utf-8" };
    if (path === "/robots.txt") return res.writeHead(200, { "content-type": "text/plain" }).end("User-agent: *\nDisallow: /privat/\n");
    if (path === "/politik/") {
      if (req.headers["if-none-match"] === '"p1"') return res.writeHead(304).end();
      return res.writeHead(200, { ...html, etag: '"p1"' }).end(site("ressort.html"));
    }
    if (path === "/sport/") return res.writeHead(200, html).end(SPORT);
    if (path === "/langsam/") return res.writeHead(200, html).end(SLOW);
    if (path === SLOW_ARTICLE) {
      if (slowHeld) return; // never answered while held: the poller is stopped waiting for it
      return res.writeHead(200, html).end(
        site("landtag-beschliesst-neues-schulgesetz.html")
          .toString()
          .replace(/<link rel="canonical"[^>]*>/, ""),
      );
    }
    if (path === "/feed.xml") return res.writeHead(200, { "content-type": "application/rss+xml" }).end(feed(base));
    if (path === "/sport/2026/12/einwilligung-erforderlich-fuer-diesen-artikel") return res.writeHead(200, html).end(CONSENT);
    if (path === "/sport/2026/12/tabelle-nach-dem-spieltag") return res.writeHead(200, html).end(HOME(base));
    const slug = ARTICLES.find((a) => path === `/politik/2026/12/${a}`);
    if (slug) {
      const conditional = req.headers["if-none-match"] === `"${slug.length}"`;
      articleRequests.push({ path, at: performance.now(), conditional });
      if (conditional) return res.writeHead(304).end();
      return res.writeHead(200, { ...html, etag: `"${slug.length}"` }).end(site(`${slug}.html`));
    }
    return res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const articleHits = () => ARTICLES.map((a) => hits.get(`/politik/2026/12/${a}`) ?? 0);

forEachBackend("a site without a feed,", (backend) => {
  it("follows a section page with full text: each article page fetched once, one item per story", async () => {
    hits.clear();
    const scratch = await backend.scratch();
    const env = { ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1", FEEDWERK_ARTICLE_SPACING_MS: "0", FEEDWERK_ARTICLES_PER_PASS: "2" };
    try {
      const added = await cli(["sources", "add", `${base}/politik/`, "--full-text", "--name", "rundschau"], env);
      expect([added.status, added.stdout]).toEqual([0, `following ${base}/politik/ as 'rundschau' (with full text); 'fetch' reads it\n`]);

      // the first pass: three teasers, two article pages (the cap per pass), the newest first
      const first = await cli(["fetch"], env);
      expect(first.status, first.stderr).toBe(0);
      expect(first.stdout).toContain("full text: 2 articles read");
      expect(articleHits()[0]).toBe(1);
      expect(articleHits().sort()).toEqual([0, 1, 1]);

      const db = await scratch.open();
      try {
        const stored = await db.db.select().from(items).orderBy(items.title);
        expect(stored.map((i) => i.title)).toEqual([
          "Bürgermeisterwahl: Stichwahl am Sonntag",
          "Koalition einigt sich nach langer Nacht auf den Haushalt",
          "Landtag beschließt neues Schulgesetz",
        ]);
        expect(stored.map((i) => i.kind).sort()).toEqual(["article", "article", "teaser"]);
        const haushalt = stored[1]!;
        expect(haushalt.kind).toBe("article");
        // the article's text, not the page's navigation or sharing, and its agency and dateline
        expect(haushalt.contentHtml).toContain("Strittig waren vor allem die Ausgaben");
        expect(haushalt.contentHtml).not.toMatch(/Teilen|Impressum|nicht lesen/);
        expect([haushalt.agency, haushalt.dateline]).toEqual(["dpa", "Berlin"]);
        expect(haushalt.url).toBe(`${base}/politik/2026/12/haushalt-koalition-einigt-sich-nach-langer-nacht`);
        expect(haushalt.publishedAt!.toISOString()).toBe("2026-12-06T05:57:00.000Z");
        // the teaser whose page waits keeps what its block shows
        const waiting = stored.find((i) => i.kind === "teaser")!;
        expect(waiting.contentHtml).toBeNull();
        expect(waiting.summary).toMatch(/^(Keiner der fünf Kandidaten|Das Gesetz bringt kleinere Klassen)/);
      } finally {
        await db.close();
      }

      // the page answers 304; the article the cap left is read now, the others are not asked for again
      const second = await cli(["fetch", "--all"], env);
      expect(second.status, second.stderr).toBe(0);
      // nothing was read: no counts, not counts of nothing
      expect(second.stdout).toMatch(/rundschau\s+not modified\s+-\s+-\s+-\s+\d{4}-/);
      expect(second.stdout).toContain("full text: 1 article read");
      expect(articleHits()).toEqual([1, 1, 1]);
      const third = await cli(["fetch", "--all"], env);
      expect(third.stdout).not.toContain("full text");
      expect(articleHits()).toEqual([1, 1, 1]);

      // a day on, a page read is checked once with its validators: the server has nothing new (304)
      const aged = await scratch.open();
      try {
        await aged.db.update(articlePages).set({ fetchedAt: new Date(Date.now() - 25 * 3_600_000) });
      } finally {
        await aged.close();
      }
      articleRequests.length = 0;
      const checked = await cli(["fetch", "--all"], { ...env, FEEDWERK_ARTICLES_PER_PASS: "10" });
      expect(checked.stdout).toContain("full text: 0 articles read, 3 unchanged");
      expect(articleRequests.map((r) => r.conditional)).toEqual([true, true, true]);
      expect(articleHits()).toEqual([2, 2, 2]);

      // a feed whose entry carries a line of the same story, followed with full text: one item still,
      // and its page, read already for the section, is not fetched again
      expect((await cli(["sources", "add", `${base}/feed.xml`, "--full-text"], env)).status).toBe(0);
      const withFeed = await cli(["fetch"], env);
      expect(withFeed.status, withFeed.stderr).toBe(0);
      expect(articleHits()).toEqual([2, 2, 2]);
      const after = await scratch.open();
      try {
        const stored = await after.db.select().from(items);
        expect(stored).toHaveLength(3);
        const landtag = stored.find((i) => i.title === "Landtag beschließt neues Schulgesetz")!;
        expect(landtag.kind).toBe("article");
        expect(landtag.contentHtml).toContain("Regierungsfraktionen");
        expect(articleHits()).toEqual([2, 2, 2]);
        // seen as a teaser, an article page and a feed entry
        expect(await after.db.$count(observations, eq(observations.itemId, landtag.id))).toBe(3);
      } finally {
        await after.close();
      }

      // what goes wrong leaves the teaser, counted and said in the list
      expect((await cli(["sources", "add", `${base}/sport/`, "--full-text", "--name", "sport"], env)).status).toBe(0);
      const sport = await cli(["fetch"], { ...env, FEEDWERK_ARTICLES_PER_PASS: "4" });
      expect(sport.status, sport.stderr).toBe(0);
      expect(sport.stdout).toContain("full text: 0 articles read, 3 failed (sources list says why), 1 refused by robots.txt");
      expect(hits.get("/privat/2026/12/interne-notiz-zum-trainerwechsel")).toBeUndefined();
      const list = await cli(["sources", "list"], env);
      // a page robots.txt keeps out is no failure: three failed
      expect(list.stdout).toMatch(/sport\s+\S+\s+page, full text\s+.*\s3\s/);
      expect(list.stdout).toMatch(/last article pages not read:\n {2}sport: http:\S+: /);
      const check = await scratch.open();
      try {
        const teasers = await check.db.select({ title: items.title, url: items.url }).from(items).where(eq(items.kind, "teaser"));
        expect(teasers.map((t) => t.title).sort()).toEqual([
          "Abgesagtes Spiel wird im Januar nachgeholt",
          "Die Tabelle nach dem 14. Spieltag",
          "Interne Notiz zum Trainerwechsel im Verein",
          "Torjäger verlängert seinen Vertrag bis 2029",
        ]);
        // the page that called itself the home page left its story's address alone
        expect(teasers.find((t) => t.title.startsWith("Die Tabelle"))!.url).toBe(`${base}/sport/2026/12/tabelle-nach-dem-spieltag`);
        // an address followed without --page that served a page is read by what it serves, each time
        const [followed] = await check.db.select().from(sources).where(eq(sources.name, "sport"));
        expect([followed!.readAs, followed!.lastReadAs]).toEqual([null, "page"]);
      } finally {
        await check.close();
      }
    } finally {
      await scratch.dispose();
    }
  }, 180_000);

  it("fetches each article page once for two sources in one pass, and spaces its fetches to one host as configured", async () => {
    const scratch = await backend.scratch();
    const env = { ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1", FEEDWERK_ARTICLE_SPACING_MS: "400" };
    try {
      // two addresses of one section, followed with full text, polled in one pass: each article page is fetched once
      expect((await cli(["sources", "add", `${base}/politik/`, "--full-text"], env)).status).toBe(0);
      expect((await cli(["sources", "add", `${base}/politik/?ansicht=liste`, "--full-text"], env)).status).toBe(0);
      articleRequests.length = 0;
      const pass = await cli(["fetch"], env);
      expect(pass.status, pass.stderr).toBe(0);
      expect(
        pass.stdout
          .match(/full text: (\d+) articles? read/g)!
          .map((l) => Number(/\d+/.exec(l)![0]))
          .reduce((a, b) => a + b),
      ).toBe(3);
      expect(articleRequests.map((r) => r.path).sort()).toEqual(ARTICLES.map((a) => `/politik/2026/12/${a}`).sort());
      const at = articleRequests.map((r) => r.at);
      expect(at).toHaveLength(3);
      // a lower bound: never sooner than asked (a timer fires no earlier than its delay)
      for (let k = 1; k < at.length; k++) expect(at[k]! - at[k - 1]!).toBeGreaterThanOrEqual(390);
    } finally {
      await scratch.dispose();
    }
  }, 120_000);
});

describe("a sources file that follows pages", () => {
  it("is checked whole first: a selector no CSS reader can read is refused, naming the file, the entry and the key", async () => {
    const scratch = await backends[0]!.scratch();
    const dir = mkdtempSync(join(tmpdir(), "feedwerk-select-"));
    const env = { ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1" };
    const file = join(dir, "sources.json");
    const write = (select: Record<string, string>) =>
      writeFileSync(file, JSON.stringify({ sources: [{ url: "https://gemeinde.example/aktuelles/", select, fullText: true }] }));
    try {
      write({ item: "tr.zeile", title: "a[", time: "div >> p" });
      const refused = await cli(["sources", "apply", file], env);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toBe(
        `error: ${file}: sources[0].select.title: "a[" is no CSS selector (Expected name, found the end)\n` +
          `error: ${file}: sources[0].select.time: "div >> p" is no CSS selector (Did not expect successive traversals.)\n`,
      );
      expect((await cli(["sources", "list"], env)).stdout).toContain("no feeds followed yet");

      // applied, and applied again unchanged, whatever order the database gives the selectors' keys back in
      write({ item: "tr.zeile", title: "a.ttl", summary: ".txt", time: ".datum", image: "img" });
      expect((await cli(["sources", "apply", file], env)).stdout).toContain("1 added, 0 updated, 0 unchanged");
      const again = await cli(["sources", "apply", file], env);
      expect(again.stdout).toContain("0 added, 0 updated, 1 unchanged");
      expect((await cli(["sources", "list"], env)).stdout).toMatch(/gemeinde\.example\/aktuelles\/\s+page \(selectors\), full text\s/);
      write({ item: "tr.zeile", title: "a.ttl" });
      expect((await cli(["sources", "apply", file], env)).stdout).toContain(
        "reading https://gemeinde.example/aktuelles/ as a page of teasers, by its selectors, with full text from its next fetch",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await scratch.dispose();
    }
  }, 60_000);
});

describe("a poller stopped while it fetches an article page", () => {
  it("gives the page back: the next pass fetches it at once, not when the claim runs out", async () => {
    const scratch = await backends[0]!.scratch();
    const env = { ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1", FEEDWERK_ARTICLE_SPACING_MS: "0" };
    try {
      expect((await cli(["sources", "add", `${base}/langsam/`, "--full-text"], env)).status).toBe(0);
      slowHeld = true;
      hits.delete(SLOW_ARTICLE);
      const pass = startCli(["fetch"], env);
      for (let i = 0; i < 300 && !hits.get(SLOW_ARTICLE); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(hits.get(SLOW_ARTICLE)).toBe(1);
      pass.child.kill("SIGTERM");
      await pass.exited;
      slowHeld = false;
      const next = await cli(["fetch", "--all"], env);
      expect(next.status, next.stderr).toBe(0);
      expect(hits.get(SLOW_ARTICLE)).toBe(2);
      expect(next.stdout).toMatch(/full text: [12] articles? read/);
    } finally {
      slowHeld = false;
      await scratch.dispose();
    }
  }, 120_000);
});
