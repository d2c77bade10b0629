/**
 * The publishing app over real HTTP: the contract (tests/support/
 * http-contract.ts) against a listening Node server on both storage
 * backends, and the same bytes rendered from the same data on either.
 */
import { get as httpGet, type OutgoingHttpHeaders } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../src/entry/node/server";
import { createApp } from "../src/publish/app";
import { storyKey } from "../src/normalise/identity";
import { slugify } from "../src/normalise/slug";
import { storeDocument } from "../src/storage/store-document";
import { mergeTags, removeTag, renameTag } from "../src/storage/topic-changes";
import { backends, forEachDatabase } from "./support/databases";
import { describeHttpContract, loadContractData } from "./support/http-contract";

/** Feeds rendered by each backend with the same public URL, compared at the end. */
const rendered = new Map<string, string[]>();
const PUBLIC = "https://feeds.example.org";

/** An answer as it came over the wire: status, every header line but Date, the body's bytes. */
function rawGet(url: string, headers: OutgoingHttpHeaders = {}): Promise<{ status: number; headers: string[][]; body: string }> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const lines: string[][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
        resolve({ status: res.statusCode!, headers: lines.filter(([name]) => name !== "date").sort(), body: Buffer.concat(chunks).toString("base64") });
      });
    }).on("error", reject);
  });
}

for (const backend of backends) {
  describeHttpContract(
    `HTTP on the Node server, ${backend.name}`,
    async () => {
      const db = await backend.open();
      const server = await startServer(db.db, { port: 0, hostname: "127.0.0.1" });
      return {
        url: server.url,
        db: db.db,
        close: async () => {
          await server.close();
          await db.close();
        },
      };
    },
    { skip: backend.unavailable !== null },
  );
}

forEachDatabase(
  (backend) => `answers from memory on the Node server, ${backend.name}`,
  (db) => {
    let server: RunningServer;
    beforeAll(async () => {
      await loadContractData(db.db);
      server = await startServer(db.db, { port: 0, hostname: "127.0.0.1" });
    });
    afterAll(async () => {
      await server?.close();
    });

    it("answers a feed asked for again with the status, header lines and bytes of the app's answer", async () => {
      for (const path of ["/feeds/ukraine.xml", "/feeds/ukraine.atom", "/feeds/all.json", "/feeds/usa+ukraine.xml?limit=3"]) {
        const first = await rawGet(`${server.url}${path}`);
        const field = (name: string): string => first.headers.find(([n]) => n === name)![1]!;
        const requests: OutgoingHttpHeaders[] = [
          {},
          { "accept-encoding": "gzip, deflate, br" },
          { accept: "application/rss+xml, application/atom+xml;q=0.9, */*;q=0.8" },
          { "if-none-match": field("etag") },
          { "if-modified-since": field("last-modified"), "accept-encoding": "gzip" },
          // fetch's Headers reads a repeated field as one joined value, which is no date: the full feed
          { "If-Modified-Since": [field("last-modified"), field("last-modified")] },
        ];
        for (const headers of requests) {
          const routed = await rawGet(`${server.url}${path}`, headers);
          const again = await rawGet(`${server.url}${path}`, headers);
          expect(again, `${path} ${JSON.stringify(headers)}`).toEqual(routed);
          // every field once, whichever way it was written
          expect(new Set(again.headers.map(([name]) => name)).size).toBe(again.headers.length);
          // a 304 leaves the headers of the client's stored copy as they are: it brings the validators, caching fields and CORS alone
          if (again.status === 304) {
            expect(
              again.headers.map(([name]) => name),
              `${path} ${JSON.stringify(headers)}`,
            ).toEqual(["access-control-allow-origin", "cache-control", "connection", "etag", "keep-alive", "last-modified", "vary"]);
          }
        }
        expect((await rawGet(`${server.url}${path}`, requests.at(-1))).status).toBe(200);
      }
    });

    it("answers a feed asked for again whatever the spelling of its host, as the app does", async () => {
      const port = new URL(server.url).port;
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LocalHost:${port}`, `LOCALHOST:${port}`]) {
        const routed = await rawGet(`${server.url}/feeds/ukraine.xml`, { host });
        const again = await rawGet(`${server.url}/feeds/ukraine.xml`, { host });
        expect(again, host).toEqual(routed);
        // the feed's own URL is built from the request's, whose host is in lower case
        const rss = Buffer.from(again.body, "base64").toString("utf8");
        expect(rss, host).toContain(`<atom:link href="http://${host.toLowerCase()}/feeds/ukraine.xml" rel="self"`);
      }
    });

    it("refuses a Host holding a path or userinfo, as the app does, however warm the feed it would spell", async () => {
      const port = new URL(server.url).port;
      expect((await rawGet(`${server.url}/feeds/ukraine.xml`)).status).toBe(200);
      expect((await rawGet(`${server.url}/ukraine.xml`, { host: `127.0.0.1:${port}/feeds` })).status).toBe(400);
      expect((await rawGet(`${server.url}/feeds/ukraine.xml`, { host: `u@127.0.0.1:${port}` })).status).toBe(400);
    });

    it("answers a feed asked for again on an IPv6 address as the app does", async (context) => {
      let v6: RunningServer;
      try {
        v6 = await startServer(db.db, { port: 0, hostname: "::1" });
      } catch {
        return context.skip("no IPv6 loopback here");
      }
      try {
        expect(v6.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
        const first = await rawGet(`${v6.url}/feeds/ukraine.xml`);
        expect(Buffer.from(first.body, "base64").toString("utf8")).toContain(`<atom:link href="${v6.url}/feeds/ukraine.xml" rel="self"`);
        const etag = first.headers.find(([name]) => name === "etag")![1]!;
        for (const headers of [{}, { "accept-encoding": "gzip, deflate, br" }, { "if-none-match": etag }]) {
          const routed = await rawGet(`${v6.url}/feeds/ukraine.xml`, headers);
          expect(await rawGet(`${v6.url}/feeds/ukraine.xml`, headers), JSON.stringify(headers)).toEqual(routed);
        }
        expect((await rawGet(`${v6.url}/feeds/ukraine.xml`, { "if-none-match": etag })).status).toBe(304);
      } finally {
        await v6.close();
      }
    });

    it("gives a browser navigating to a feed URL it answers from memory the feed's page", async () => {
      const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
      const contentType = (answer: { headers: string[][] }) => answer.headers.find(([name]) => name === "content-type")?.[1];
      const feed = await rawGet(`${server.url}/feeds/ukraine.xml`);
      expect([feed.status, contentType(feed)]).toEqual([200, "application/rss+xml; charset=utf-8"]);
      expect(await rawGet(`${server.url}/feeds/ukraine.xml`)).toEqual(feed);
      const etag = feed.headers.find(([name]) => name === "etag")![1]!;
      for (const headers of [{ accept: browser }, { accept: browser, "accept-encoding": "gzip, deflate, br" }, { accept: browser, "if-none-match": etag }]) {
        const page = await rawGet(`${server.url}/feeds/ukraine.xml`, headers);
        expect([page.status, contentType(page)], JSON.stringify(headers)).toEqual([200, "text/html; charset=UTF-8"]);
        expect(Buffer.from(page.body, "base64").toString("utf8"), JSON.stringify(headers)).toContain('<textarea id="feed-url"');
      }
      // the browser's Accept repeated in two fields, as fetch's Headers would join them
      const split = await rawGet(`${server.url}/feeds/ukraine.xml`, { accept: ["text/html,application/xhtml+xml", "application/xml;q=0.9,*/*;q=0.8"] });
      expect([split.status, contentType(split)]).toEqual([200, "text/html; charset=UTF-8"]);
      expect(await rawGet(`${server.url}/feeds/ukraine.xml`)).toEqual(feed);
    });
  },
);

forEachDatabase("rendering", (db, backend) => {
  beforeAll(async () => {
    await loadContractData(db.db);
  });

  it("renders the same bytes for the same data", async () => {
    const app = createApp({ db: db.db, publicUrl: PUBLIC });
    const bodies: string[] = [];
    for (const path of ["/feeds/ukraine.xml", "/feeds/ukraine.atom", "/feeds/ukraine.json", "/feeds/krieg.xml"]) {
      const first = await (await app.fetch(new Request(`http://internal${path}`))).text();
      const second = await (await app.fetch(new Request(`http://other-host${path}`))).text();
      expect(second).toBe(first);
      expect(first).toContain(`${PUBLIC}/feeds/`);
      bodies.push(first);
    }
    rendered.set(backend.name, bodies);
  });
});

describe.skipIf(backends.some((b) => b.unavailable))("PGlite and PostgreSQL", () => {
  it("render identical feeds from identical data", () => {
    const [a, b] = backends.map((backend) => rendered.get(backend.name));
    expect(a).toBeDefined();
    expect(b).toEqual(a);
  });
});

forEachDatabase(
  (backend) => `topics over HTTP on the Node server, ${backend.name}`,
  (db) => {
    let server: RunningServer;
    beforeAll(async () => {
      await loadContractData(db.db);
      // a followed feed's categories, more than the index lists in full: one with enough stories to show, the rest folded away
      const places = Array.from({ length: 30 }, (_, n) => `Ort ${n + 1}`);
      await storeDocument(db.db, {
        source: { kind: "feed", name: "wetterdienst", url: "https://wetter.example/feed.xml" },
        name: "https://wetter.example/feed.xml",
        sha256: "e".repeat(64),
        fetchedAt: new Date("2025-12-09T14:00:00Z"),
        items: ["Sturm an der Küste", "Schnee im Harz", "Hitze im Süden"].map((title, n) => ({
          id: storyKey(title),
          guid: storyKey(title),
          kind: "teaser",
          title,
          kicker: null,
          publishedAt: new Date(Date.UTC(2025, 11, 9, 10, n)),
          precision: "absolute",
          agency: null,
          dateline: null,
          tags: [{ slug: "wetter", label: "Wetter" }, ...(n === 0 ? places.map((p) => ({ slug: slugify(p), label: p })) : [])],
          commentCount: null,
          image: null,
          media: null,
          summary: "Der Wetterdienst warnt.",
          contentHtml: null,
          url: null,
        })),
      });
      server = await startServer(db.db, { port: 0, hostname: "127.0.0.1" });
    });
    afterAll(async () => {
      await server?.close();
    });

    it("lists the portal's topics first, followed feeds' categories below, and in a long group folds the tags with few stories", async () => {
      const html = await (await fetch(`${server.url}/`)).text();
      const themen = html.indexOf('<h2 id="themen">Themen</h2>');
      const kategorien = html.indexOf('<h2 id="kategorien">Kategorien gefolgter Feeds</h2>');
      expect(themen).toBeGreaterThan(0);
      expect(kategorien).toBeGreaterThan(themen);
      const portal = html.slice(themen, kategorien);
      const feeds = html.slice(kategorien, html.indexOf("</section>", kategorien));
      expect(portal).toContain(`href="${server.url}/feeds/ukraine"`);
      expect(portal).not.toContain("/feeds/wetter");
      // of 31 categories, Wetter has three stories and shows; the places have one each and are folded away
      expect(feeds.slice(0, feeds.indexOf("<details>"))).toContain(`href="${server.url}/feeds/wetter"`);
      expect(feeds.slice(feeds.indexOf("<details>"))).toMatch(/<summary>30 weitere mit weniger als 3 Meldungen<\/summary>.*\/feeds\/ort-17"/s);
      // the portal's topics are fewer: all shown, though most have one story
      expect(portal).not.toContain("<details>");
    });

    it("sends the feeds of a renamed or merged tag to their new address (301), and answers a removed tag's with 410 Gone", async () => {
      // asked for before: the hot path knows these URLs
      for (const path of ["/feeds/ukraine.xml", "/feeds/usa.atom"]) expect((await fetch(`${server.url}${path}`)).status).toBe(200);
      await renameTag(db.db, "ukraine", "Ukraine aktuell");
      await mergeTags(db.db, "krieg", "konflikte");
      await removeTag(db.db, "usa");
      const answer = async (path: string, accept?: string) => {
        // the server sees another process's change within its snapshot's age (2 s)
        for (let tries = 0; ; tries++) {
          const res = await fetch(`${server.url}${path}`, { redirect: "manual", headers: accept ? { accept } : {} });
          if (res.status !== 200 || tries > 30) return [res.status, res.headers.get("location")];
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      };
      expect(await answer("/feeds/ukraine.xml?limit=5")).toEqual([301, `${server.url}/feeds/ukraine-aktuell.xml?limit=5`]);
      expect(await answer("/feeds/ukraine", "text/html")).toEqual([301, `${server.url}/feeds/ukraine-aktuell`]);
      expect(await answer("/feeds/krieg+ukraine.json")).toEqual([301, `${server.url}/feeds/konflikte+ukraine-aktuell.json`]);
      expect(await answer("/feeds/usa.atom")).toEqual([410, null]);
      // another spelling of an old name goes to the new one in one step, and a removed one's is gone at once
      const spelt = await fetch(`${server.url}/feeds/Ukraine.xml`, { redirect: "manual" });
      expect([spelt.status, spelt.headers.get("location"), spelt.headers.get("cache-control")]).toEqual([
        301,
        `${server.url}/feeds/ukraine-aktuell.xml`,
        "public, max-age=300",
      ]);
      expect((await fetch(`${server.url}/feeds/USA.atom`, { redirect: "manual" })).status).toBe(410);
      expect(await answer("/feeds/usa+ukraine.xml")).toEqual([410, null]);
      expect((await fetch(`${server.url}/feeds/ukraine-aktuell.xml`)).status).toBe(200);
      expect((await fetch(`${server.url}/feeds/niemals.xml`)).status).toBe(404);
    });

    it("logs nothing for a query it refuses as a bad request", async () => {
      const lines: string[] = [];
      const original = console.error;
      console.error = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
      try {
        for (const path of ["/feeds/all.xml?q=%00", "/feeds/all?q=a%00b", "/?q=%00", "/feeds/ukraine-aktuell.json?q=%C2%80"]) {
          expect((await fetch(`${server.url}${path}`)).status, path).toBe(400);
        }
        expect(lines).toEqual([]);
      } finally {
        console.error = original;
      }
    });
  },
);
