/**
 * The pages for people, in a real headless Chromium (Debian's package,
 * driven by playwright-core): the index, a tag's page, an item's page, and
 * a feed opened directly, styled by the XSL stylesheet.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { startServer, type RunningServer } from "../src/entry/server";
import { ingestPage } from "../src/pipeline/ingest-page";
import type { OpenDatabase } from "../src/storage/open";
import { listTags } from "../src/storage/queries";
import { backends } from "./support/databases";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`CI is set but there is no Chromium at ${CHROMIUM}: the browser tests must run in CI`);

const ARTICLE = "Ukraine-Verhandlungen in Alaska? Trump will Putin empfangen";
const TEASER = "Ukraine soll Korruptionskontrollen ausgehöhlt haben";

describe.skipIf(!available)(`pages in Chromium${available ? "" : ` (no Chromium at ${CHROMIUM})`}`, () => {
  let db: OpenDatabase;
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    db = await backends[0]!.open();
    await ingestPage(db.db, {
      name: "seed",
      bytes: new Uint8Array(readFileSync(join(import.meta.dirname, "pages", "seed-alaska.txt"))),
      fetchedAt: new Date("2025-12-09T13:00:00Z"),
    });
    server = await startServer(db.db, { port: 0, hostname: "127.0.0.1" });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await db?.close();
  });

  /** Opens a page and records what went wrong on its console. */
  async function open(path: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    const res = await page.goto(`${server.url}${path}`);
    expect(res?.status()).toBe(200);
    return { page, errors };
  }

  it("shows every tag on the index, and every link there resolves", async () => {
    const { page, errors } = await open("/");
    const tags = await listTags(db.db);
    expect(await page.locator("li.tag").count()).toBe(tags.length);
    expect(await page.locator("li.tag").first().innerText()).toContain("(");
    const hrefs = [...new Set(await page.locator("a[href]").evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href)))];
    expect(hrefs.length).toBeGreaterThan(tags.length * 3);
    for (const href of hrefs) {
      const res = await fetch(href);
      expect(res.status, href).toBe(200);
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a feed opened in the browser as a page of its items", async () => {
    for (const path of ["/feeds/ukraine.xml", "/feeds/ukraine.atom"]) {
      const { page, errors: all } = await open(path);
      // Chromium puts its own XSLT-deprecation banner into the page, with an inline
      // event handler that the feed's CSP (no inline script) blocks: that one message
      // is the browser's, not the page's.
      const errors = all.filter((e) => !e.startsWith("Executing inline event handler violates the following Content Security Policy"));
      expect(await page.locator("li.item").count()).toBe(2);
      const text = await page.locator("body").innerText();
      expect(text).toContain(ARTICLE);
      expect(text).toContain(TEASER);
      expect(await page.locator("h1").innerText()).toBe("feedwerk · Ukraine");
      expect(errors, path).toEqual([]);
      await page.close();
    }
  });

  it("leads from a tag's page to an item's page", async () => {
    const { page, errors } = await open("/feeds/ukraine");
    expect(await page.locator('link[rel="alternate"][type="application/rss+xml"]').getAttribute("href")).toBe(`${server.url}/feeds/ukraine.xml`);
    await page.getByRole("link", { name: ARTICLE }).click();
    await page.waitForURL(/\/items\/[0-9a-f]{32}$/);
    expect(await page.locator("h1").innerText()).toBe(ARTICLE);
    expect(await page.locator("article h2").count()).toBe(7);
    expect(errors).toEqual([]);
    await page.close();
  });
});
