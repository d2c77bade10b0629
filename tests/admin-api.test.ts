/** The admin API: off without a token, closed without the right one, and what it does with it. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { beforeAll, expect, it, vi } from "vitest";
import type { Hono } from "hono";
import { createSite } from "../src/entry/site";
import { AddressPolicy } from "../src/input/fetch/address-policy";
import { guidFor } from "../src/normalise/identity";
import { teaser } from "./support/stories";
import { VersionBook } from "../src/publish/version-book";
import { addFeedSource } from "../src/storage/sources";
import { indexQueued, searchBacklog } from "../src/storage/search-index";
import { storeDocument } from "../src/storage/store-document";
import { forEachDatabase } from "./support/databases";

const TOKEN = "s3cret-token-of-some-length";
const seed = readFileSync(join(import.meta.dirname, "..", "seeds", "000_fd0f4cb902b02a9c.txt"));

forEachDatabase("admin API", (db) => {
  let app: Hono;
  const call = (method: string, path: string, init: { token?: string | null; body?: Uint8Array; json?: unknown } = {}) =>
    app.fetch(
      new Request(`http://x${path}`, {
        method,
        headers: {
          ...(init.token === null ? {} : { Authorization: `Bearer ${init.token ?? TOKEN}` }),
          ...(init.json !== undefined ? { "Content-Type": "application/json" } : {}),
        },
        body: init.json !== undefined ? JSON.stringify(init.json) : (init.body as Uint8Array<ArrayBuffer> | undefined),
      }),
    );

  beforeAll(async () => {
    // versions that would stay stale for an hour unless the API invalidates them
    app = createSite({ db: db.db, adminToken: TOKEN, versions: new VersionBook(db.db, { maxAgeMs: 3_600_000 }) }).app;
  });

  it("does not exist without a token, and refuses too short a token", async () => {
    const open = createSite({ db: db.db }).app;
    expect((await open.fetch(new Request("http://x/api/sources", { headers: { Authorization: `Bearer ${TOKEN}` } }))).status).toBe(404);
    expect(() => createSite({ db: db.db, adminToken: "short" }).app).toThrow(/at least 16/);
  });

  /** A problem details document (RFC 9457) with this status; its detail. */
  const problemOf = async (res: Response, status: number) => {
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const body = (await res.json()) as { type: string; title: string; status: number; detail: string; errors?: string[] };
    expect(body).toMatchObject({ type: "about:blank", status });
    expect(body.title.length).toBeGreaterThan(0);
    return body;
  };

  it("answers every error as problem details, 401 included", async () => {
    const missing = await call("GET", "/api/sources", { token: null });
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await problemOf(missing, 401)).detail).toMatch(/token/);
    await problemOf(await call("GET", "/api/sources", { token: `${TOKEN}x` }), 401);
    await problemOf(await call("POST", "/api/sources", { json: { url: "ftp://x.example/feed" } }), 400);
    await problemOf(await call("DELETE", "/api/sources?name=nobody"), 404);
    await problemOf(await call("GET", "/api/nowhere"), 404);
    const notJson = await app.fetch(
      new Request("http://x/api/sources", {
        method: "POST",
        headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
        body: "{url:",
      }),
    );
    await problemOf(notJson, 400);
    // curl -d sends a form: the answer says the body must be JSON, not that the url is missing
    const form = await app.fetch(
      new Request("http://x/api/sources", {
        method: "POST",
        headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/x-www-form-urlencoded" },
        body: '{"url":"https://a.example/feed"}',
      }),
    );
    expect((await problemOf(form, 415)).detail).toBe("the body must be JSON, sent with Content-Type: application/json (got application/x-www-form-urlencoded)");
  });

  it("checks bodies and query strings by schema, naming what is wrong", async () => {
    const notArray = await problemOf(await call("POST", "/api/sources", { json: { url: "https://a.example/feed", tags: "notarray" } }), 400);
    expect(notArray.errors).toEqual([expect.stringMatching(/^tags: .*array/)]);
    const misspelt = await problemOf(await call("POST", "/api/sources", { json: { url: "https://a.example/feed", tagz: ["Welt"] } }), 400);
    expect(misspelt.detail).toContain('unknown key "tagz"');
    const badTag = await problemOf(await call("POST", "/api/sources", { json: { url: "https://a.example/feed", tags: ["Welt", 3] } }), 400);
    expect(badTag.errors).toEqual([expect.stringMatching(/^tags\[1\]: /)]);
    await problemOf(await call("POST", "/api/sources", { json: { url: "https://a.example/feed", name: "" } }), 400);
    await problemOf(await call("POST", "/api/sources", { json: ["https://a.example/feed"] }), 400);
    expect(((await (await call("GET", "/api/sources")).json()) as { sources: unknown[] }).sources).toEqual([]);

    await problemOf(await call("DELETE", "/api/sources"), 400);
    await problemOf(await call("DELETE", "/api/sources?url=https://a.example/feed&name=a"), 400);
    const unknownParam = await problemOf(await call("POST", "/api/ingest?fetched=2025-12-09T13:00:00Z", { body: seed }), 400);
    expect(unknownParam.detail).toContain('unknown key "fetched"');
    const local = await problemOf(await call("POST", "/api/ingest?fetched_at=2025-12-09T13:00:00", { body: seed }), 400);
    expect(local.errors).toEqual([expect.stringMatching(/^fetched_at: .*zone/)]);
  });

  it("answers 401 to an Authorization header that is no bearer token, and 405 with Allow to a method an endpoint does not take", async () => {
    for (const header of ["Bearer ", "Bearer", "Basic dXNlcjpwYXNz", "Token abc", "Bearer two words"]) {
      const res = await app.fetch(new Request("http://x/api/sources", { headers: { Authorization: header } }));
      expect(res.headers.get("www-authenticate"), header).toMatch(/^Bearer/);
      expect((await problemOf(res, 401)).detail, header).toMatch(/token/);
    }
    const put = await call("PUT", "/api/sources", { json: { url: "https://a.example/feed" } });
    expect(put.headers.get("allow")).toBe("GET, POST, DELETE");
    expect((await problemOf(put, 405)).detail).toBe("PUT is not allowed here; GET, POST, DELETE are");
    expect((await call("GET", "/api/ingest")).headers.get("allow")).toBe("POST");
    expect((await call("POST", "/api/tags")).headers.get("allow")).toBe("GET");
    expect((await call("PATCH", "/api/tags/ukraine")).headers.get("allow")).toBe("PUT, DELETE");
  });

  it("refuses text no column can hold, in a query string or a body, with 400 instead of a database error", async () => {
    for (const path of ["/api/sources?name=%00", "/api/sources?url=a%00b", "/api/ingest?name=x%00", "/api/tags?x=%00", "/api/tags/ukraine?dry_run=%00"]) {
      const method = path.startsWith("/api/ingest") ? "POST" : path.startsWith("/api/tags/") ? "PUT" : path.startsWith("/api/tags") ? "GET" : "DELETE";
      const res = await call(method, path, method === "POST" ? { body: seed } : method === "PUT" ? { json: {} } : {});
      expect((await problemOf(res, 400)).detail, path).toMatch(/NUL/);
    }
    const body = await problemOf(await call("POST", "/api/sources", { json: { url: "https://a.example/feed", name: "a\u0000b" } }), 400);
    expect(body.errors).toContain("name: holds a NUL character");
    const rule = await problemOf(await call("PUT", "/api/tags/ukraine", { json: { exclude: ["Krieg\ud800"] } }), 400);
    expect(rule.errors).toContain("exclude[0]: holds a lone surrogate (not Unicode text)");
  });

  it("answers 401 without the right bearer token", async () => {
    expect((await call("GET", "/api/sources", { token: null })).status).toBe(401);
    expect((await call("GET", "/api/sources", { token: `${TOKEN}x` })).status).toBe(401);
    expect((await call("GET", "/api/sources", { token: TOKEN.slice(0, -1) })).status).toBe(401);
    expect((await call("POST", "/api/ingest", { token: "nope", body: seed })).status).toBe(401);
  });

  it("follows and drops feeds", async () => {
    const added = await call("POST", "/api/sources", { json: { url: "https://news.example.com/rss", name: "news", tags: ["Welt"] } });
    expect(added.status).toBe(201);
    expect(await added.json()).toMatchObject({ name: "news", url: "https://news.example.com/rss", tags: ["Welt"], error_count: 0 });
    expect((await call("POST", "/api/sources", { json: { url: "https://news.example.com/rss" } })).status).toBe(409);
    expect((await call("POST", "/api/sources", { json: { url: "javascript:alert(1)" } })).status).toBe(400);
    expect((await call("POST", "/api/sources", { json: { nope: 1 } })).status).toBe(400);
    expect(((await (await call("GET", "/api/sources")).json()) as { sources: unknown[] }).sources).toHaveLength(1);
    expect((await call("DELETE", "/api/sources?name=news")).status).toBe(204);
    expect((await call("DELETE", "/api/sources?name=news")).status).toBe(404);
  });

  it("refuses to follow a private or local address the configuration does not allow, naming the URL and the setting", async () => {
    const siteWith = (allowed: string[]) => {
      const policy = new AddressPolicy(allowed);
      return createSite({ db: db.db, adminToken: TOKEN, followRefusal: (url) => policy.followRefusal(url) }).app;
    };
    const post = (site: Hono, url: string) =>
      site.fetch(
        new Request("http://x/api/sources", {
          method: "POST",
          headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
          body: JSON.stringify({ url }),
        }),
      );
    const strict = siteWith([]);
    for (const url of ["http://127.0.0.1:8080/feed.xml", "http://10.0.0.1/rss", "http://[::1]/feed", "http://localhost/feed.xml", "http://192.168.1.20/atom"]) {
      const body = await problemOf(await post(strict, url), 422);
      expect(body.detail).toMatch(new RegExp(`^${url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: .* (loopback|private) address; .*FEEDWERK_ALLOWED_HOSTS`));
    }
    expect(((await (await call("GET", "/api/sources")).json()) as { sources: unknown[] }).sources).toEqual([]);
    // allowed, it is followed; the fetch still checks each connection
    const added = await post(siteWith(["127.0.0.1"]), "http://127.0.0.1:8080/feed.xml");
    expect(added.status).toBe(201);
    expect((await call("DELETE", `/api/sources?url=${encodeURIComponent("http://127.0.0.1:8080/feed.xml")}`)).status).toBe(204);
  });

  it("drops a feed's tags from the stories other feeds show, and the feeds show it at once", async () => {
    const id = "5ad0c0ffee5ad0c0ffee5ad0c0ffee01";
    const story = teaser("Fähre fährt wieder", "Nach der Reparatur.", {
      id,
      guid: guidFor(id),
      publishedAt: new Date("2025-12-10T08:00:00Z"),
      precision: "absolute",
      url: "https://story.example/faehre",
    });
    for (const [name, tag] of [
      ["alpha", "Hafen"],
      ["beta", "Kueste"],
    ] as const) {
      const url = `https://${name}.example/feed.xml`;
      await addFeedSource(db.db, { url, name, tags: [tag] });
      await storeDocument(db.db, {
        source: { kind: "feed", name, url },
        name: url,
        sha256: name.repeat(16),
        fetchedAt: new Date("2025-12-10T09:00:00Z"),
        items: [story],
      });
    }
    const titles = async (tag: string) =>
      ((await (await app.fetch(new Request(`http://x/feeds/${tag}.json`))).json()) as { items: { title: string }[] }).items.map((i) => i.title);
    expect(await titles("kueste")).toEqual(["Fähre fährt wieder"]);
    expect((await call("DELETE", "/api/sources?name=beta")).status).toBe(204);
    expect(await titles("kueste")).toEqual([]);
    expect(await titles("hafen")).toEqual(["Fähre fährt wieder"]);
  });

  it("ingests a posted page, and the feeds show it at once", async () => {
    expect((await app.fetch(new Request("http://x/feeds/ukraine.json"))).status).toBe(404);
    const res = await call("POST", "/api/ingest?fetched_at=2025-12-09T13:00:00Z&name=seed.txt", { body: seed });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ new: 17, updated: 0, unchanged: 0 });
    const feed = (await (await app.fetch(new Request("http://x/feeds/ukraine.json"))).json()) as { items: unknown[] };
    expect(feed.items).toHaveLength(2);
  });

  it("answers that a posted page's stories are not indexed yet when the database will not index them, and says why on the log", async () => {
    const winter = readFileSync(join(import.meta.dirname, "pages", "winter-no-image.txt"));
    const said = vi.spyOn(console, "error").mockImplementation(() => {});
    // the index's table refuses new rows for a moment: storing (which only queues) works, indexing does not
    await db.db.execute(sql`alter table item_search add constraint refused check (false) not valid`);
    try {
      const res = await call("POST", "/api/ingest?fetched_at=2025-12-09T13:00:00Z&name=winter.txt", { body: winter });
      expect(await res.json()).toMatchObject({ new: 10, search_indexed: false });
      expect(said.mock.calls.map((c) => String(c[0]))).toEqual([
        expect.stringMatching(
          /^POST \/api\/ingest: winter\.txt: stored, not yet indexed for search \(.*item_search.*\): it stays queued for the next indexer$/,
        ),
      ]);
    } finally {
      await db.db.execute(sql`alter table item_search drop constraint refused`);
      said.mockRestore();
    }
    expect(await searchBacklog(db.db)).toBe(10);
    expect(await indexQueued(db.db)).toBe(10);
    // with the index writable again, new stories are indexed before the answer
    const summer = readFileSync(join(import.meta.dirname, "pages", "summer-dst-image.txt"));
    const again = (await (await call("POST", "/api/ingest?name=summer.txt", { body: summer })).json()) as { new: number };
    expect(again).toMatchObject({ new: expect.any(Number), search_indexed: true });
    expect(again.new).toBeGreaterThan(0);
    expect(await searchBacklog(db.db)).toBe(0);
  });

  it("names the line of a page it cannot read, and refuses oversized bodies", async () => {
    const cut = await call("POST", "/api/ingest?name=cut.txt", { body: seed.subarray(0, 3000) });
    expect(cut.status).toBe(422);
    expect((await problemOf(cut, 422)).detail).toMatch(/^cut\.txt:\d+: .*truncated/);
    await problemOf(await call("POST", "/api/ingest?fetched_at=yesterday", { body: seed }), 400);
    await problemOf(await call("POST", "/api/ingest", { body: new Uint8Array(3 * 1024 * 1024) }), 413);
  });

  it("manages tags and rules: list, set rules with a dry run first, rename, merge, remove; feeds follow at once", async () => {
    expect((await call("POST", `/api/ingest?fetched_at=2025-12-09T13:00:00Z&name=seed`, { body: seed })).status).toBe(200);
    const feed = async (slug: string) => app.fetch(new Request(`http://x/feeds/${slug}.json`));
    const listed = (await (await call("GET", "/api/tags")).json()) as { tags: { slug: string; match: string; origin: string; items: number }[] };
    expect(listed.tags.find((t) => t.slug === "ukraine")).toMatchObject({ match: "words", origin: "portal", items: 2 });

    const topic = { match: "rules", include: ["Putin", { pattern: "^Ukraine", in: "title" }], exclude: [{ pattern: "korruption" }] };
    const dry = await call("PUT", "/api/tags/Ukraine-Krieg?dry_run=true", { json: topic });
    expect(dry.status).toBe(200);
    const dryBody = (await dry.json()) as { dry_run: boolean; tags: { slug: string; created: boolean; added: { title: string }[] }[] };
    expect(dryBody.dry_run).toBe(true);
    expect(dryBody.tags.map((t) => [t.slug, t.created, t.added.map((a) => a.title)])).toEqual([
      ["ukraine-krieg", true, ["Ukraine-Verhandlungen in Alaska? Trump will Putin empfangen"]],
    ]);
    expect((await feed("ukraine-krieg")).status).toBe(404);
    const made = await call("PUT", "/api/tags/Ukraine-Krieg", { json: topic });
    expect(made.status).toBe(201);
    expect(((await (await feed("ukraine-krieg")).json()) as { items: unknown[] }).items).toHaveLength(1);
    await problemOf(await call("PUT", "/api/tags/ukraine", { json: { match: "words", include: ["x"] } }), 400);

    // a global rule: the stock photo teaser leaves every feed
    const before = ((await (await feed("all")).json()) as { items: { title: string }[] }).items.length;
    const dropped = (await (await call("PUT", "/api/rules", { json: { drop: [{ pattern: "^Kostenloses Stock Foto", in: "title" }] } })).json()) as {
      dropped: { title: string }[];
    };
    expect(dropped.dropped.map((d) => d.title)).toEqual(["Kostenloses Stock Foto zu aktienmarkt, analyse, analysieren"]);
    expect(((await (await feed("all")).json()) as { items: unknown[] }).items).toHaveLength(before - 1);
    expect(await (await call("GET", "/api/rules")).json()).toEqual({ drop: [{ pattern: "^Kostenloses Stock Foto", in: "title" }] });

    const renamed = await call("POST", "/api/tags/ukraine/rename", { json: { to: "Ukraine aktuell" } });
    expect(await renamed.json()).toMatchObject({ from: "ukraine", to: "ukraine-aktuell", items: 2 });
    const moved = await feed("ukraine");
    expect([moved.status, moved.headers.get("location")]).toEqual([301, "http://x/feeds/ukraine-aktuell.json"]);
    expect(await (await call("POST", "/api/tags/krieg/merge", { json: { into: "ukraine-aktuell" } })).json()).toMatchObject({
      from: "krieg",
      into: "ukraine-aktuell",
    });
    expect((await feed("krieg")).headers.get("location")).toBe("http://x/feeds/ukraine-aktuell.json");
    expect(await (await call("DELETE", "/api/tags/usa")).json()).toMatchObject({ removed: "usa", items: 1 });
    expect((await feed("usa")).status).toBe(410);
    await problemOf(await call("DELETE", "/api/tags/usa"), 404);
    await problemOf(await call("POST", "/api/tags/konflikte/rename", { json: { to: "Ukraine aktuell" } }), 409);
  });
});
