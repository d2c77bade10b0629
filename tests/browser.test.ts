/**
 * The pages for people, in a real headless Chromium (Debian's package,
 * driven by playwright-core): the index, a feed's page at every feed URL a
 * browser navigates to (no XSLT, no console messages), search, paging, the
 * dates, landmarks and labels a screen reader walks, and a phone's width.
 * Screenshots at desktop and phone width go to a temporary folder
 * (FEEDWERK_SCREENSHOTS names another) for a person to look at.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import type { RunningServer } from "../src/entry/node/server";
import type { OpenDatabase } from "../src/storage/open";
import { listTags } from "../src/storage/queries";
import { startSeededServer, type SeededServer } from "./support/seeded-server";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`CI is set but there is no Chromium at ${CHROMIUM}: the browser tests must run in CI`);

const ARTICLE = "Ukraine-Verhandlungen in Alaska? Trump will Putin empfangen";
const TEASER = "Ukraine soll Korruptionskontrollen ausgehöhlt haben";
const PHONE = { width: 375, height: 812 };
const { clients } = JSON.parse(readFileSync(join(import.meta.dirname, "accept", "clients.json"), "utf8")) as {
  clients: { client: string; accept: string | null; gets: "feed" | "page" }[];
};
const DESKTOP = { width: 1280, height: 900 };

interface JsonFeed {
  items: { id: string; url: string; title: string; date_published?: string; date_modified: string }[];
  next_url?: string;
}

/** "9. Dezember 2025, 14:00 Uhr" from the platform's own German calendar in Berlin, not from feedwerk's code. */
function germanBerlin(iso: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("de-DE", {
      timeZone: "Europe/Berlin",
      day: "numeric",
      month: "long",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.day}. ${parts.month} ${parts.year}, ${parts.hour}:${parts.minute} Uhr`;
}

describe.skipIf(!available)(`pages in Chromium${available ? "" : ` (no Chromium at ${CHROMIUM})`}`, () => {
  let db: OpenDatabase;
  let server: RunningServer;
  let seeded: SeededServer | undefined;
  let browser: Browser;
  const shots = process.env.FEEDWERK_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), "feedwerk-screenshots-"));

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    seeded = await startSeededServer();
    ({ db, server } = seeded);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await seeded?.close();
  });

  const json = async (path: string) => (await (await fetch(`${server.url}${path}`, { headers: { accept: "application/feed+json" } })).json()) as JsonFeed;

  /** Opens a page as a navigation and records every console message of note and every page error. */
  async function open(path: string, viewport = DESKTOP): Promise<{ page: Page; messages: string[]; accept: string | undefined }> {
    const page = await browser.newPage({ viewport });
    const messages: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") messages.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => messages.push(`pageerror: ${e.message}`));
    const res = await page.goto(`${server.url}${path}`);
    expect(res?.status(), path).toBe(200);
    return { page, messages, accept: (await res!.request().allHeaders()).accept };
  }

  /** Titles of the items listed on a page, in order. */
  const listed = (page: Page) => page.locator("ol.items article h3 a").allInnerTexts();

  it("shows every tag on the index, and every link there resolves", async () => {
    const { page, messages } = await open("/");
    const tags = await listTags(db.db);
    expect(await page.locator("li.tag").count()).toBe(tags.length);
    expect(await page.locator("li.tag").first().innerText()).toContain("(");
    const hrefs = [...new Set(await page.locator("a[href]").evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href)))];
    expect(hrefs.length).toBeGreaterThan(tags.length * 3);
    for (const href of hrefs.filter((h) => !h.endsWith("#inhalt"))) {
      const res = await fetch(href);
      expect(res.status, href).toBe(200);
    }
    expect(messages).toEqual([]);
    await page.close();
  });

  it("shows a feed URL navigated to as the feed's page: its items, the address to subscribe to, no XSLT and no console message", async () => {
    const ukraine = (await json("/feeds/ukraine.json")).items.map((i) => i.title);
    expect(ukraine).toEqual([TEASER, ARTICLE]);
    for (const format of ["xml", "atom", "json"]) {
      const path = `/feeds/ukraine.${format}`;
      const { page, messages, accept } = await open(path);
      // what this Chromium sent is a row of the table the HTTP tests run, one that gets the page
      expect(
        clients.find((c) => c.accept === accept),
        `Chromium sent Accept ${accept}`,
      ).toMatchObject({ gets: "page" });
      expect(await page.evaluate(() => (globalThis as unknown as { document: { contentType: string } }).document.contentType), path).toBe("text/html");
      expect(await page.title()).toBe("Ukraine · feedwerk");
      expect(await page.locator("h1").innerText()).toBe("Ukraine");
      expect(await listed(page), path).toEqual(ukraine);
      expect(await page.getByLabel("Feed-Adresse").inputValue(), path).toBe(`${server.url}${path}`);
      const text = await page.locator("body").innerText();
      expect(text, path).not.toMatch(/XSLT|XSL|stylesheet/i);
      expect(messages, path).toEqual([]);
      await page.close();
    }
    // a union, a search and a later page are feed URLs too
    const union = (await json("/feeds/regierung+ukraine.json")).items.map((i) => i.title);
    const { page, messages } = await open("/feeds/regierung+ukraine.atom");
    expect(await page.locator("h1").innerText()).toBe("Regierung + Ukraine");
    expect(await listed(page)).toEqual(union);
    expect(messages).toEqual([]);
    await page.close();
  });

  it("takes screenshots at desktop and phone width, and nothing scrolls sideways at 375 px", async () => {
    const item = (await json("/feeds/ukraine.json")).items.find((i) => i.title === ARTICLE)!;
    const paths = { index: "/", tag: "/feeds/ukraine.xml", all: "/feeds/all.atom?limit=5", search: "/feeds/all.xml?q=Putin", item: new URL(item.url).pathname };
    for (const [name, path] of Object.entries(paths)) {
      for (const [size, viewport] of [
        ["desktop", DESKTOP],
        ["phone", PHONE],
      ] as const) {
        const { page, messages } = await open(path, viewport);
        const widths = await page.evaluate(() => {
          const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
          return { scroll: root.scrollWidth, client: root.clientWidth };
        });
        expect(widths.scroll, `${path} at ${size}`).toBeLessThanOrEqual(widths.client);
        if (size === "phone") expect(widths.client).toBe(PHONE.width);
        await page.screenshot({ path: join(shots, `${name}-${size}.png`), fullPage: true });
        expect(messages, path).toEqual([]);
        await page.close();
      }
    }
    console.log(`screenshots: ${shots}`);
  });

  it("finds an item with the search box, as the feed's full-text search does", async () => {
    const { page, messages } = await open("/feeds/all.xml");
    const box = page.getByRole("searchbox", { name: "In allen Meldungen suchen" });
    await box.fill("Putin");
    await page.getByRole("button", { name: "Suchen" }).click();
    await page.waitForURL(/\?q=Putin$/);
    expect(new URL(page.url()).pathname).toBe("/feeds/all.xml");
    const found = (await json("/feeds/all.json?q=Putin")).items.map((i) => i.title);
    expect(found).toContain(ARTICLE);
    expect(found.length).toBeLessThan((await json("/feeds/all.json?limit=200")).items.length);
    expect(await listed(page)).toEqual(found);
    expect(await page.locator("h2#meldungen").innerText()).toBe("Treffer für „Putin“");
    expect(await box.inputValue()).toBe("Putin");
    // the search's own feed is what the subscribe box offers
    expect(await page.getByLabel("Feed-Adresse").inputValue()).toBe(`${server.url}/feeds/all.xml?q=Putin`);
    await box.fill("Gibtesnichtwort");
    await page.getByRole("button", { name: "Suchen" }).click();
    await page.waitForURL(/\?q=Gibtesnichtwort$/);
    expect(await page.locator("main").innerText()).toContain("Keine Meldung gefunden.");
    expect(messages).toEqual([]);
    await page.close();
  });

  it("walks the paging links to the oldest item and back, every item once and in the feed's order", async () => {
    const everything = (await json("/feeds/all.json?limit=200")).items.map((i) => i.title);
    expect(everything.length).toBeGreaterThan(10);
    const { page, messages } = await open("/feeds/all.xml?limit=4");
    expect(await page.getByRole("link", { name: "Neuere Meldungen" }).count()).toBe(0);
    const forward: string[][] = [await listed(page)];
    while (await page.getByRole("link", { name: "Ältere Meldungen" }).count()) {
      await Promise.all([page.waitForNavigation(), page.getByRole("link", { name: "Ältere Meldungen" }).click()]);
      expect(new URL(page.url()).searchParams.get("limit")).toBe("4");
      forward.push(await listed(page));
    }
    expect(forward.flat()).toEqual(everything);
    expect(forward.length).toBe(Math.ceil(everything.length / 4));
    const backward: string[][] = [await listed(page)];
    while (await page.getByRole("link", { name: "Neuere Meldungen" }).count()) {
      await Promise.all([page.waitForNavigation(), page.getByRole("link", { name: "Neuere Meldungen" }).click()]);
      backward.unshift(await listed(page));
    }
    expect(backward.flat()).toEqual(everything);
    expect(await page.getByRole("link", { name: "Neuere Meldungen" }).count()).toBe(0);
    expect(messages).toEqual([]);
    await page.close();
  });

  it("dates every item in Berlin time, in German, with its instant in <time datetime>", async () => {
    const feed = await json("/feeds/all.json?limit=200");
    const { page, messages } = await open("/feeds/all.json?limit=200");
    const times = await page
      .locator("ol.items article time")
      .evaluateAll((ts) => ts.map((t) => ({ datetime: t.getAttribute("datetime")!, text: (t as unknown as { textContent: string }).textContent })));
    expect(times).toHaveLength(feed.items.length);
    times.forEach((t, i) => {
      expect(t.datetime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/);
      // an undated story shows when it was first seen, its updated while it has not changed
      expect(new Date(t.datetime).getTime()).toBe(new Date(feed.items[i]!.date_published ?? feed.items[i]!.date_modified).getTime());
      expect(t.text).toBe(germanBerlin(t.datetime));
    });
    // the seed page says "10. August 2025, 12:47 Uhr" (summer time); its teaser was first seen at 13:00 UTC in December
    const article = await page.locator("article", { hasText: ARTICLE }).locator("time");
    expect([await article.getAttribute("datetime"), await article.innerText()]).toEqual(["2025-08-10T10:47:00Z", "10. August 2025, 12:47 Uhr"]);
    const teaser = await page.locator("article", { hasText: TEASER }).locator("time");
    expect([await teaser.getAttribute("datetime"), await teaser.innerText()]).toEqual(["2025-12-09T13:00:00Z", "9. Dezember 2025, 14:00 Uhr"]);
    // an untimed teaser claims no time of publication: it says when it was seen
    expect(await page.locator("article", { hasText: TEASER }).locator(".meta").innerText()).toMatch(/^gesehen 9\. Dezember 2025, 14:00 Uhr/);
    expect(await page.locator("article", { hasText: ARTICLE }).locator(".meta").innerText()).not.toContain("gesehen");
    expect(messages).toEqual([]);
    await page.close();
  });

  it("gives a screen reader German, landmarks, headings in order and labelled fields", async () => {
    const item = (await json("/feeds/ukraine.json")).items.find((i) => i.title === ARTICLE)!;
    for (const path of ["/", "/feeds/ukraine.xml", "/feeds/all?q=Putin", new URL(item.url).pathname]) {
      const { page, messages } = await open(path);
      expect(await page.locator("html").getAttribute("lang")).toBe("de");
      for (const role of ["banner", "main", "contentinfo"] as const) expect(await page.getByRole(role).count(), `${path}: ${role}`).toBe(1);
      expect(await page.getByRole("navigation", { name: "Hauptnavigation" }).count(), path).toBe(1);
      const levels = await page.locator("h1, h2, h3, h4, h5, h6").evaluateAll((hs) => hs.map((h) => Number(h.tagName.slice(1))));
      expect(levels[0], path).toBe(1);
      expect(
        levels.filter((l) => l === 1),
        path,
      ).toHaveLength(1);
      levels.forEach((level, i) => {
        if (i) expect(level, `${path}: heading ${i} after h${levels[i - 1]}`).toBeLessThanOrEqual(levels[i - 1]! + 1);
      });
      // every field has a name a screen reader reads out
      const unnamed = await page.locator("input:not([type=hidden]), button, select, textarea").evaluateAll(
        (fields) =>
          fields.filter((f) => {
            const id = f.getAttribute("id");
            const doc = f.ownerDocument;
            return !(id && doc.querySelector(`label[for="${id}"]`)) && !f.getAttribute("aria-label") && !(f.textContent ?? "").trim();
          }).length,
      );
      expect(unnamed, path).toBe(0);
      expect(messages, path).toEqual([]);
      await page.close();
    }
    const { page } = await open("/feeds/ukraine.xml");
    expect(await page.getByRole("search").count()).toBe(1);
    expect(await page.getByRole("searchbox", { name: "Im Thema Ukraine suchen" }).count()).toBe(1);
    expect(await page.getByRole("textbox", { name: "Feed-Adresse" }).count()).toBe(1);
    await page.close();
  });

  it("leads from a tag's page to an item's page", async () => {
    const { page, messages } = await open("/feeds/ukraine");
    expect(await page.locator('link[rel="alternate"][type="application/rss+xml"]').getAttribute("href")).toBe(`${server.url}/feeds/ukraine.xml`);
    await page.getByRole("link", { name: ARTICLE }).click();
    await page.waitForURL(/\/items\/[0-9a-f]{32}$/);
    expect(await page.locator("h1").innerText()).toBe(ARTICLE);
    expect(await page.locator("article h2").count()).toBe(7);
    expect(messages).toEqual([]);
    await page.close();
  });

  it("lets a script on another origin read a feed and revalidate it with an If-None-Match of its own", async () => {
    // a reader's page on another origin (another port of this machine), with no policy of its own in the way
    const reader = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end("<!doctype html><title>reader</title>"));
    await new Promise<void>((resolve) => reader.listen(0, "127.0.0.1", resolve));
    const page = await browser.newPage();
    try {
      await page.goto(`http://127.0.0.1:${(reader.address() as AddressInfo).port}/`);
      const read = (url: string, headers: Record<string, string>) =>
        page.evaluate(
          async ([url, headers]) => {
            try {
              const res = await fetch(url, { headers });
              return { status: res.status, etag: res.headers.get("etag"), length: (await res.text()).length };
            } catch (error) {
              return { failed: String(error) };
            }
          },
          [url, headers] as const,
        );
      for (const path of ["/feeds/ukraine.json", "/feeds/ukraine.xml", "/feeds.opml"]) {
        const first = await read(`${server.url}${path}`, {});
        expect(first, path).toMatchObject({ status: 200, etag: expect.stringMatching(/^"/) });
        // If-None-Match is not a safelisted header: Chromium asks with a preflight first, and sends it only if that allows it
        const again = await read(`${server.url}${path}`, { "If-None-Match": (first as { etag: string }).etag });
        expect(again, path).toMatchObject({ status: 304, length: 0 });
        const since = await read(`${server.url}${path}`, { "If-Modified-Since": new Date().toUTCString() });
        expect((since as { status: number }).status, path).toBe(304);
      }
      // a header the preflight does not allow: Chromium refuses, so the answers above were the preflight's doing
      expect(await read(`${server.url}/feeds/ukraine.json`, { "X-Reader": "1" })).toMatchObject({ failed: expect.stringContaining("Failed to fetch") });
    } finally {
      await page.close();
      await new Promise((resolve) => reader.close(resolve));
    }
  });
});
