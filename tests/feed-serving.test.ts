/**
 * How feeds are served: validators and 304s, compression, the rendered-feed
 * cache and its invalidation, combined feeds, RFC 5005 paging and search.
 * Through the app's fetch, on both storage backends.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, brotliDecompressSync } from "node:zlib";
import { beforeAll, expect, it } from "vitest";
import type { Hono } from "hono";
import { nodeCompressors } from "../src/entry/node/compressors";
import { ingestPage } from "../src/pipeline/ingest-page";
import { indexQueued } from "../src/storage/search-index";
import { createApp } from "../src/publish/app";
import { VersionBook } from "../src/publish/version-book";
import type { Database } from "../src/storage/database";
import { listTags } from "../src/storage/queries";
import { forEachDatabase } from "./support/databases";
import { expectValidAtom, expectValidRss, expectWellFormedXml, rssParser, walkJsonFeedPages, xmlTree } from "./support/feeds";

const pages = join(import.meta.dirname, "pages");
const page = (name: string, fetchedAt: string) => ({ name, bytes: new Uint8Array(readFileSync(join(pages, name))), fetchedAt: new Date(fetchedAt) });
const SEED = page("seed-alaska.txt", "2025-12-09T13:00:00Z");
const FOLLOWUP = page("prag-followup.txt", "2025-12-09T15:00:00Z");
const WINTER = page("winter-no-image.txt", "2026-01-15T09:00:00Z");
const BASE = "https://feeds.example.org";

/** Counts the queries made through the database handle. */
function counting(db: Database): { db: Database; queries: () => number } {
  let n = 0;
  const proxy = new Proxy(db, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value === "function" && ["select", "selectDistinct", "execute", "insert", "update", "delete", "transaction"].includes(String(prop))) {
        return (...args: unknown[]) => {
          n++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value;
    },
  });
  return { db: proxy, queries: () => n };
}

forEachDatabase("serving feeds", (opened) => {
  let app: Hono;
  let versions: VersionBook;
  let counter: ReturnType<typeof counting>;
  const get = (path: string, headers: Record<string, string> = {}, method = "GET") => app.fetch(new Request(`${BASE}${path}`, { method, headers }));

  beforeAll(async () => {
    await ingestPage(opened.db, SEED);
    counter = counting(opened.db);
    versions = new VersionBook(counter.db, { maxAgeMs: 60_000 });
    app = createApp({ db: counter.db, publicUrl: BASE, versions, compressors: nodeCompressors });
  });

  it("sends validators and caching headers, and 304 with no body when the copy is current", async () => {
    const first = await get("/feeds/ukraine.xml");
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(first.headers.get("last-modified")).toMatch(/GMT$/);
    expect(first.headers.get("cache-control")).toBe("public, max-age=300, stale-while-revalidate=3600, stale-if-error=86400");
    expect(first.headers.get("vary")).toBe("Accept, Accept-Encoding");
    // a browser gets the page at the same URL, in every format
    expect((await get("/feeds/ukraine.json")).headers.get("vary")).toBe("Accept, Accept-Encoding");
    const body = await first.text();
    expect(Number(first.headers.get("content-length"))).toBe(new TextEncoder().encode(body).length);

    const revalidated = await get("/feeds/ukraine.xml", { "If-None-Match": etag });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.get("etag")).toBe(etag);
    expect(await revalidated.text()).toBe("");

    const byDate = await get("/feeds/ukraine.xml", { "If-Modified-Since": first.headers.get("last-modified")! });
    expect(byDate.status).toBe(304);
    const stale = await get("/feeds/ukraine.xml", { "If-None-Match": '"0123456789abcdef0123456789abcdef"' });
    expect(stale.status).toBe(200);
    const older = await get("/feeds/ukraine.xml", { "If-Modified-Since": "Thu, 01 Jan 2015 00:00:00 GMT" });
    expect(older.status).toBe(200);
  });

  it("compresses with brotli or gzip as the client accepts, each form its own ETag", async () => {
    const plain = await (await get("/feeds/krieg.atom")).text();
    const br = await get("/feeds/krieg.atom", { "Accept-Encoding": "gzip, deflate, br" });
    expect(br.headers.get("content-encoding")).toBe("br");
    expect(brotliDecompressSync(Buffer.from(await br.arrayBuffer())).toString("utf8")).toBe(plain);
    const gz = await get("/feeds/krieg.atom", { "Accept-Encoding": "gzip" });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString("utf8")).toBe(plain);
    expect(br.headers.get("etag")).toMatch(/-br"$/);
    expect(gz.headers.get("etag")).toMatch(/-gzip"$/);
    const identity = await get("/feeds/krieg.atom", { "Accept-Encoding": "br;q=0, gzip;q=0" });
    expect(identity.headers.get("content-encoding")).toBeNull();
    // a compressed form's ETag revalidates too
    expect((await get("/feeds/krieg.atom", { "If-None-Match": br.headers.get("etag")! })).status).toBe(304);
  });

  it("answers HEAD with the headers and no body", async () => {
    const head = await get("/feeds/ukraine.json", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers.get("etag")).toMatch(/^"/);
    expect(await head.text()).toBe("");
  });

  it("serves a cached feed without querying or rendering", async () => {
    await get("/feeds/usa.xml");
    const before = counter.queries();
    for (let i = 0; i < 5; i++) {
      expect((await get("/feeds/usa.xml")).status).toBe(200);
      expect((await get("/feeds/usa.xml", { "If-None-Match": "*" })).status).toBe(304);
    }
    expect(counter.queries()).toBe(before);
  });

  it("reads the versions again in the background from three quarters of the snapshot's age on, so that steady requests never wait", async () => {
    let now = 0;
    const book = new VersionBook(counter.db, { maxAgeMs: 2_000, now: () => now });
    const snapshot = await book.current();
    const before = counter.queries();
    now = 1_499;
    expect(book.fresh([])).toBe(snapshot);
    expect(counter.queries()).toBe(before);
    now = 1_500;
    expect(book.fresh([])).toBe(snapshot);
    const reading = counter.queries();
    expect(reading).toBeGreaterThan(before);
    // one read at a time, however many requests come meanwhile
    expect(book.fresh(["ukraine"])).toBe(snapshot);
    expect(counter.queries()).toBe(reading);
    await expect.poll(() => book.fresh([])).not.toBe(snapshot);
    const renewed = book.fresh([])!;
    expect([...renewed.tags.keys()].sort()).toEqual([...snapshot.tags.keys()].sort());
    // with no request to start a read, a snapshot still expires at its age: it is never older than maxAgeMs
    now = 3_500;
    expect(book.fresh([])).toBeNull();
  });

  it("answers a feed asked for before from memory, synchronously, with the status, headers and bytes of the full route", async () => {
    const facts = async (res: Response) => ({
      status: res.status,
      headers: [...res.headers].sort(),
      body: Buffer.from(await res.arrayBuffer()).toString("base64"),
    });
    // a feed's own fields and a feed document's security headers (see http-contract.ts); a 304 the validators, caching fields and CORS
    const FULL = [
      "access-control-allow-origin",
      "access-control-expose-headers",
      "cache-control",
      "content-length",
      "content-security-policy",
      "content-type",
      "etag",
      "last-modified",
      "strict-transport-security",
      "vary",
      "x-content-type-options",
    ];
    const NOT_MODIFIED = ["access-control-allow-origin", "cache-control", "etag", "last-modified", "vary"];
    for (const path of ["/feeds/russland.xml", "/feeds/russland.atom", "/feeds/russland.json", "/feeds/usa+russland.xml?limit=3"]) {
      let first: Response | undefined;
      for (const headers of [
        {},
        { "Accept-Encoding": "gzip, deflate, br" },
        { "Accept-Encoding": "gzip" },
        { Accept: "application/rss+xml, application/atom+xml;q=0.9, */*;q=0.8" },
        { "If-None-Match": "etag" },
        { "If-None-Match": "etag-br", "Accept-Encoding": "br" },
        { "If-Modified-Since": "last-modified", "Accept-Encoding": "gzip" },
      ]) {
        const etag = first?.headers.get("etag");
        const request = Object.fromEntries(
          Object.entries(headers).map(([name, value]) => [
            name,
            value === "etag"
              ? etag!
              : value === "etag-br"
                ? etag!.replace(/"$/, '-br"')
                : value === "last-modified"
                  ? first!.headers.get("last-modified")!
                  : value,
          ]),
        );
        const what = `${path} ${JSON.stringify(request)}`;
        // a URL asked for the first time takes the full route, through the middleware; so does a new kind of request
        const routing = get(path, request);
        if (!first) expect(routing, what).toBeInstanceOf(Promise);
        const routed = await routing;
        first ??= routed.clone();
        // the same again is answered from memory: not a promise, so the Node adapter writes it at once
        const remembered = get(path, request);
        expect(remembered, what).toBeInstanceOf(Response);
        const hot = await facts(remembered as Response);
        expect(hot, what).toEqual(await facts(routed));
        const encoded = hot.headers.some(([name]) => name === "content-encoding");
        expect(
          hot.headers.map(([name]) => name),
          what,
        ).toEqual(hot.status === 304 ? NOT_MODIFIED : encoded ? [...FULL, "content-encoding"].sort() : FULL);
      }
    }
    // a HEAD and other spellings of the same feed still take the full route
    expect(get("/feeds/russland.xml", {}, "HEAD")).toBeInstanceOf(Promise);
    expect(get("/feeds/Russland.xml")).toBeInstanceOf(Promise);
    // /feeds/TAG is the page or a feed as Accept says: never answered from memory
    expect((await get("/feeds/russland", { Accept: "application/atom+xml" })).headers.get("content-type")).toMatch(/^application\/atom\+xml/);
    const negotiated = get("/feeds/russland");
    expect(negotiated).toBeInstanceOf(Promise);
    expect((await negotiated).headers.get("content-type")).toMatch(/^text\/html/);
  });

  it("gives a browser navigating to a feed URL answered from memory the feed's page, not the feed", async () => {
    const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    const feed = await get("/feeds/ukraine.xml");
    expect(feed.headers.get("content-type")).toBe("application/rss+xml; charset=utf-8");
    const etag = feed.headers.get("etag")!;
    await feed.arrayBuffer();
    // a reader asking again is answered from memory
    expect(get("/feeds/ukraine.xml")).toBeInstanceOf(Response);
    for (const headers of [
      { Accept: BROWSER },
      { Accept: BROWSER, "Accept-Encoding": "gzip, deflate, br" },
      { Accept: BROWSER, "If-None-Match": etag },
    ] as Record<string, string>[]) {
      const what = JSON.stringify(headers);
      for (let i = 0; i < 2; i++) {
        const routing = get("/feeds/ukraine.xml", headers);
        expect(routing, what).toBeInstanceOf(Promise);
        const res = await routing;
        expect([res.status, res.headers.get("content-type"), res.headers.get("vary")], what).toEqual([200, "text/html; charset=UTF-8", "Accept"]);
        expect(await res.text(), what).toContain('<textarea id="feed-url"');
      }
    }
    // and readers still get the feed from memory
    const again = get("/feeds/ukraine.xml");
    expect(again).toBeInstanceOf(Response);
    expect((await again).headers.get("content-type")).toBe("application/rss+xml; charset=utf-8");
  });

  it("reads the versions again after an invalidation, even while a read begun before it is still running", async () => {
    let now = 0;
    const book = new VersionBook(counter.db, { maxAgeMs: 2_000, now: () => now });
    const snapshot = await book.current();
    now = 1_500;
    book.fresh([]); // starts a background read
    const started = counter.queries();
    // an ingestion commits meanwhile; the read already running may not have seen it
    book.invalidate();
    expect(book.fresh([])).toBeNull();
    const renewed = await book.current();
    expect(counter.queries()).toBeGreaterThan(started);
    expect(renewed).not.toBe(snapshot);
    // the overtaken read, whenever it ends, does not make its older snapshot the fresh one
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(book.fresh([])).toBe(renewed);
  });

  it("changes the ETag of exactly the tags an ingestion changed", async () => {
    const tags = (await listTags(opened.db)).map((t) => t.slug);
    const etags = async () => Object.fromEntries(await Promise.all(tags.map(async (slug) => [slug, (await get(`/feeds/${slug}.xml`)).headers.get("etag")])));
    const before = await etags();
    const report = await ingestPage(opened.db, FOLLOWUP);
    versions.invalidate();
    const after = await etags();
    expect(report.changedTags.length).toBeGreaterThan(0);
    for (const slug of tags) {
      if (report.changedTags.includes(slug)) expect(after[slug], slug).not.toBe(before[slug]);
      else expect(after[slug], slug).toBe(before[slug]);
    }
    // asked again, each is answered from memory: the new version, not the one remembered before
    expect(await etags()).toEqual(after);
    const rss = await rssParser.parseString(await (await get("/feeds/ukraine.xml")).text());
    expect(rss.items[0]!.title).toBe("Ukraine soll Korruptionskontrollen ausgehöhlt haben");
    expect(rss.items[0]!.isoDate).toBe("2025-12-09T14:40:00.000Z");
  });

  it("gives every feed reader's Accept the feed's bytes at every feed URL, and a browser's the feed's page", async () => {
    const { clients } = JSON.parse(readFileSync(join(import.meta.dirname, "accept", "clients.json"), "utf8")) as {
      clients: { client: string; accept: string | null; gets: "feed" | "page" }[];
    };
    expect(clients.filter((c) => c.gets === "page").length).toBeGreaterThan(1);
    const next = ((await (await get("/feeds/all.json?limit=5")).json()) as { next_url: string }).next_url;
    const paths = [
      "/feeds/ukraine.xml",
      "/feeds/ukraine.atom",
      "/feeds/ukraine.json",
      "/feeds/regierung+ukraine.xml",
      "/feeds/all.atom?limit=3",
      "/feeds/all.xml?q=Putin",
      next.slice(BASE.length),
    ];
    const TYPES: Record<string, string> = { xml: "application/rss+xml", atom: "application/atom+xml", json: "application/feed+json" };
    for (const path of paths) {
      const url = new URL(`${BASE}${path}`);
      const type = `${TYPES[url.pathname.split(".").pop()!]}; charset=utf-8`;
      const reference = await get(path, { Accept: type.split(";")[0]! });
      const bytes = await reference.text();
      if (!path.includes(".json")) await expectWellFormedXml(bytes);
      else JSON.parse(bytes);
      // the page offers the feed itself to subscribe to: the search kept, the page position not
      const subscribe = new URL(url);
      subscribe.searchParams.delete("before");
      for (const { client, accept, gets } of clients) {
        const res = await get(path, accept === null ? {} : { Accept: accept });
        const what = `${client} at ${path}`;
        expect(res.status, what).toBe(200);
        if (gets === "feed") {
          expect([res.headers.get("content-type"), res.headers.get("vary")], what).toEqual([type, "Accept, Accept-Encoding"]);
          expect(await res.text(), what).toBe(bytes);
        } else {
          expect([res.headers.get("content-type"), res.headers.get("vary"), res.headers.get("cache-control")], what).toEqual([
            "text/html; charset=UTF-8",
            "Accept",
            "private, no-cache",
          ]);
          const page = await res.text();
          expect(page, what).toContain(
            `<textarea id="feed-url" readonly rows="2" spellcheck="false">${subscribe.toString().replace(/&/g, "&amp;")}</textarea>`,
          );
          expect(page, what).toContain('<form class="search" method="get" role="search">');
        }
      }
    }
    // the feed's page lists what the feed lists
    const rss = await rssParser.parseString(await (await get("/feeds/ukraine.xml")).text());
    const page = await (await get("/feeds/ukraine.xml", { Accept: clients.find((c) => c.gets === "page")!.accept! })).text();
    const titles = [...page.matchAll(/<h3><a href="[^"]*">([^<]*)<\/a><\/h3>/g)].map((m) => m[1]);
    expect(titles).toEqual(rss.items.map((i) => i.title));
    expect((await get("/feed.xsl")).status).toBe(404);
    expect(await (await get("/feeds/ukraine.atom")).text()).not.toContain("xml-stylesheet");
  });

  it("negotiates /feeds/TAG by Accept: the page, or the feed a client asks for", async () => {
    const type = async (path: string, accept: string) => (await get(path, { Accept: accept })).headers.get("content-type");
    expect(await type("/feeds/ukraine", "application/atom+xml")).toBe("application/atom+xml; charset=utf-8");
    expect(await type("/feeds/ukraine", "application/feed+json")).toBe("application/feed+json; charset=utf-8");
    expect(await type("/feeds/ukraine", "application/rss+xml, */*;q=0.1")).toBe("application/rss+xml; charset=utf-8");
    expect(await type("/feeds/ukraine", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")).toMatch(/^text\/html/);
    expect(await type("/feeds/ukraine", "*/*")).toMatch(/^text\/html/);
    expect((await get("/feeds/ukraine", { Accept: "application/atom+xml" })).headers.get("vary")).toBe("Accept, Accept-Encoding");
    expect((await get("/feeds/ukraine")).headers.get("vary")).toBe("Accept");
    // unions and every item have a page too
    for (const path of ["/feeds/regierung+ukraine", "/feeds/all"]) {
      const res = await get(path);
      expect([res.status, res.headers.get("content-type")], path).toEqual([200, "text/html; charset=UTF-8"]);
    }
    expect((await get("/feeds/gibt-es-nicht")).status).toBe(404);
    expect((await get("/feeds/ukraine+gibt-es-nicht.xml", { Accept: "text/html,application/xhtml+xml" })).status).toBe(404);
    expect((await get("/feeds/ukraine.xml?limit=0", { Accept: "text/html,application/xhtml+xml" })).status).toBe(400);
  });

  it("lists every tag's feed in OPML", async () => {
    const res = await get("/feeds.opml");
    expect(res.headers.get("content-type")).toBe("text/x-opml; charset=utf-8");
    const xml = await res.text();
    await expectWellFormedXml(xml);
    const outlines = (xmlTree(xml) as any).opml[0].body[0].outline;
    const tags = await listTags(opened.db);
    expect(outlines.map((o: any) => o["@xmlUrl"]).sort()).toEqual(tags.map((t) => `${BASE}/feeds/${t.slug}.xml`).sort());
    for (const o of outlines) {
      expect(o["@type"]).toBe("rss");
      expect(o["@text"]).toBeTruthy();
      expect((await app.fetch(new Request(o["@xmlUrl"]))).status).toBe(200);
    }
  });

  it("serves unions of tags and all items, each item once", async () => {
    const one = async (path: string) => ((await (await get(path)).json()) as { items: { id: string }[] }).items.map((i) => i.id);
    const ukraine = await one("/feeds/ukraine.json");
    const regierung = await one("/feeds/regierung.json");
    const union = await one("/feeds/ukraine+regierung.json");
    expect(new Set(union).size).toBe(union.length);
    expect(new Set(union)).toEqual(new Set([...ukraine, ...regierung]));
    expect(await one("/feeds/regierung+ukraine.json")).toEqual(union);
    const feed = (await (await get("/feeds/ukraine+regierung.json")).json()) as { title: string };
    expect(feed.title).toBe("feedwerk · Regierung + Ukraine");
    const all = await one("/feeds/all.json?limit=200");
    expect(all).toHaveLength(19);
    expect((await get("/feeds/ukraine+nope.json")).status).toBe(404);
    const tooMany = await get(`/feeds/${Array.from({ length: 11 }, (_, i) => `t${i}`).join("+")}.json`);
    expect([tooMany.status, await tooMany.text()]).toEqual([400, "A union feed has at most 10 tags\n"]);
    const atom = await (await get("/feeds/all.atom")).text();
    await expectValidAtom(atom);
  });

  it("pages through a feed with RFC 5005 links, every item once and in order", async () => {
    await ingestPage(opened.db, WINTER);
    versions.invalidate();
    const everything = ((await (await get("/feeds/all.json?limit=200")).json()) as { items: { id: string }[] }).items.map((i) => i.id);
    expect(everything).toHaveLength(29);

    const inProcess = async (url: string) => app.fetch(new Request(url));
    expect(await walkJsonFeedPages(`${BASE}/feeds/all.json?limit=4`, inProcess, everything.length)).toEqual(everything);

    const page1 = xmlTree(await (await get("/feeds/all.atom?limit=4")).text()) as any;
    const links = (tree: any) => Object.fromEntries(tree.feed[0].link.map((l: any) => [l["@rel"], l["@href"]]));
    const l1 = links(page1);
    expect(l1.first).toBe(`${BASE}/feeds/all.atom?limit=4`);
    expect(l1.next).toMatch(/before=\d+\.[0-9a-f]{32}/);
    expect(l1.previous).toBeUndefined();
    const page2 = xmlTree(await (await app.fetch(new Request(l1.next))).text()) as any;
    const l2 = links(page2);
    expect(l2.self).toBe(l1.next);
    const back = xmlTree(await (await app.fetch(new Request(l2.previous))).text()) as any;
    const ids = (tree: any) => tree.feed[0].entry.map((e: any) => e.id[0]);
    expect(ids(back)).toEqual(ids(page1));

    const rss = await (await get("/feeds/all.xml?limit=4")).text();
    await expectValidRss(rss);
    expect(rss).toMatch(/<atom:link href="[^"]+before=[^"]+" rel="next"\/>/);
    expect((await get("/feeds/all.xml?before=nonsense")).status).toBe(400);
  });

  it("filters by full-text search in German", async () => {
    // stories are found once indexed, after their storing (search-index.ts): the server's indexing does this every second
    await indexQueued(opened.db);
    const titles = async (q: string) =>
      ((await (await get(`/feeds/all.json?q=${encodeURIComponent(q)}`)).json()) as { items: { title: string }[] }).items.map((i) => i.title);
    // stemming: "Verhandlung" finds "Ukraine-Verhandlungen"; "Weihnachtsmarkt" finds "Weihnachtsmärkte"
    expect(await titles("Verhandlung")).toContain("Ukraine-Verhandlungen in Alaska? Trump will Putin empfangen");
    expect(await titles("Weihnachtsmärkte")).toEqual(["Weihnachtsmärkte melden Besucherrekord"]);
    expect(await titles("Babis -Weihnachtsmärkte")).toEqual(
      expect.arrayContaining(["Babis vereidigt: Was der Machtwechsel für Europa bedeutet", "Ernennung des neuen tschechischen Ministerpräsidenten"]),
    );
    expect(await titles("gibtesnichtwort")).toEqual([]);
    expect((await get(`/feeds/all.json?q=${"x".repeat(201)}`)).status).toBe(400);
  });
});
