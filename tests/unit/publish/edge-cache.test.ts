/**
 * withEdgeCache alone, in front of an origin that counts what it is asked
 * and a cache with the Web Cache API's match and put, kept in memory: a
 * feed reader's first request is a miss that asks the origin without its
 * conditions and stores the full answer, the next a hit the origin never
 * sees; a miss whose validators match is answered 304; what may not be
 * shared (other methods and paths, credentials, ranges, a browser's
 * navigation, answers other than 200) passes through untouched and unstored.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { isEdgeCacheable, withEdgeCache, type SharedCache } from "../../../src/publish/edge-cache";
import { FEED_SECURITY_HEADERS } from "../../../src/publish/security-headers";

const FEED = "https://feeds.example.org/feeds/ukraine.xml";
const ETAG = '"5d41402abc4b2a76b9719d911017c592"';
const LAST_MODIFIED = "Tue, 09 Dec 2025 13:00:00 GMT";
const BODY = '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>feedwerk · Ukraine</title></channel></rss>\n';
const READER = "application/rss+xml, application/atom+xml;q=0.9, */*;q=0.1";
const FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/** The Web Cache API's match and put over a Map, by URL: what caches.default does for these requests. */
class MemoryCache implements SharedCache {
  readonly entries = new Map<string, { request: Request; response: Response }>();
  fail: Error | null = null;
  async match(request: Request): Promise<Response | undefined> {
    return this.entries.get(request.url)?.response.clone();
  }
  async put(request: Request, response: Response): Promise<void> {
    if (this.fail) throw this.fail;
    this.entries.set(request.url, { request, response });
  }
}

/** The app, answering every feed with one version of it; each request it got is kept. */
function origin(status = 200) {
  const asked: Request[] = [];
  const answer = async (request: Request) => {
    asked.push(request);
    if (status !== 200) return new Response("no such feed", { status, headers: { "content-type": "text/plain" } });
    return new Response(BODY, {
      status: 200,
      headers: {
        "content-type": "application/rss+xml; charset=utf-8",
        etag: ETAG,
        "last-modified": LAST_MODIFIED,
        "cache-control": "public, max-age=300",
        vary: "Accept-Encoding",
        ...FEED_SECURITY_HEADERS,
      },
    });
  };
  return { asked, answer };
}

/** One request through the edge cache; what it had the runtime wait for, awaited. */
async function through(cache: MemoryCache, app: ReturnType<typeof origin>, request: Request) {
  const work: Promise<unknown>[] = [];
  const response = await withEdgeCache(request, cache, (w) => work.push(w), app.answer);
  await Promise.all(work);
  return { response, waited: work.length };
}

const get = (url: string, headers: Record<string, string> = {}, method = "GET") => new Request(url, { method, headers });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("withEdgeCache", () => {
  it("asks the origin on a miss and stores its answer, then answers from the cache alone", async () => {
    const cache = new MemoryCache();
    const app = origin();

    const miss = await through(cache, app, get(FEED, { accept: READER }));
    expect([miss.response.status, await miss.response.text(), miss.waited]).toEqual([200, BODY, 1]);
    expect(app.asked.map((r) => r.url)).toEqual([FEED]);
    expect([...cache.entries.keys()]).toEqual([FEED]);
    const stored = cache.entries.get(FEED)!.response;
    expect([stored.status, stored.headers.get("etag"), stored.headers.get("cache-control"), await stored.clone().text()]).toEqual([
      200,
      ETAG,
      "public, max-age=300",
      BODY,
    ]);

    const hit = await through(cache, app, get(FEED, { accept: READER }));
    expect([hit.response.status, await hit.response.text(), hit.waited]).toEqual([200, BODY, 0]);
    expect(hit.response.headers.get("etag")).toBe(ETAG);
    expect(app.asked).toHaveLength(1);
  });

  it("asks the origin without the reader's conditions, and stores that unconditional request's answer", async () => {
    const cache = new MemoryCache();
    const app = origin();
    await through(cache, app, get(FEED, { accept: READER, "if-none-match": '"an-older-version"', "if-modified-since": "Mon, 01 Dec 2025 00:00:00 GMT" }));
    const [asked] = app.asked;
    expect([asked!.headers.get("if-none-match"), asked!.headers.get("if-modified-since"), asked!.headers.get("accept")]).toEqual([null, null, READER]);
    const key = cache.entries.get(FEED)!.request;
    expect([key.headers.get("if-none-match"), key.headers.get("if-modified-since")]).toEqual([null, null]);
  });

  it.each([
    { conditions: { "if-none-match": ETAG }, status: 304 },
    { conditions: { "if-none-match": `W/${ETAG}` }, status: 304 },
    { conditions: { "if-none-match": '"5d41402abc4b2a76b9719d911017c592-br"' }, status: 304 },
    { conditions: { "if-none-match": '"an-older-version"' }, status: 200 },
    { conditions: { "if-modified-since": LAST_MODIFIED }, status: 304 },
    { conditions: { "if-modified-since": "Mon, 08 Dec 2025 13:00:00 GMT" }, status: 200 },
    // If-None-Match decides where both are sent
    { conditions: { "if-none-match": '"an-older-version"', "if-modified-since": LAST_MODIFIED }, status: 200 },
  ] as { conditions: Record<string, string>; status: number }[])(
    "answers a miss with $conditions with $status, and stores the full answer either way",
    async ({ conditions, status }) => {
      const cache = new MemoryCache();
      const app = origin();
      const { response } = await through(cache, app, get(FEED, { accept: READER, ...conditions }));
      expect(response.status).toBe(status);
      expect(response.headers.get("etag")).toBe(ETAG);
      expect(response.headers.get("last-modified")).toBe(LAST_MODIFIED);
      expect(response.headers.get("cache-control")).toBe("public, max-age=300");
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      if (status === 304) {
        // the validators and caching fields alone, as the origin's own 304
        expect(await response.text()).toBe("");
        for (const name of [
          "content-type",
          "content-security-policy",
          "x-content-type-options",
          "strict-transport-security",
          "access-control-expose-headers",
        ]) {
          expect(response.headers.get(name), name).toBeNull();
        }
      } else expect(await response.text()).toBe(BODY);
      expect(await cache.entries.get(FEED)!.response.clone().text()).toBe(BODY);
    },
  );

  it.each([
    { what: "a HEAD request", request: get(FEED, { accept: READER }, "HEAD") },
    { what: "a POST", request: get(FEED, { accept: READER }, "POST") },
    { what: "a feed without its extension", request: get("https://feeds.example.org/feeds/ukraine", { accept: READER }) },
    { what: "an unknown extension", request: get("https://feeds.example.org/feeds/ukraine.html", { accept: READER }) },
    { what: "the index page", request: get("https://feeds.example.org/", { accept: READER }) },
    { what: "a request with credentials", request: get(FEED, { accept: READER, authorization: "Bearer secret-token-0123456789" }) },
    { what: "a range", request: get(FEED, { accept: READER, range: "bytes=0-99" }) },
    { what: "a browser's navigation", request: get(FEED, { accept: FIREFOX }) },
  ])("passes $what to the origin as it came and stores nothing", async ({ request }) => {
    expect(isEdgeCacheable(request)).toBe(false);
    const cache = new MemoryCache();
    const app = origin();
    cache.entries.set(request.url, { request, response: new Response("stale", { status: 200 }) });
    const { response, waited } = await through(cache, app, request);
    expect(app.asked).toHaveLength(1);
    expect(app.asked[0]).toBe(request);
    expect(await response.text()).toBe(BODY);
    expect(waited).toBe(0);
    expect(await cache.entries.get(request.url)!.response.text()).toBe("stale");
  });

  it.each(["https://feeds.example.org/feeds/ukraine.xml", "https://feeds.example.org/feeds/ukraine+usa.atom", "https://feeds.example.org/feeds/all.json"])(
    "shares %s with feed readers and with clients that send no Accept",
    (url) => {
      expect(isEdgeCacheable(get(url, { accept: READER }))).toBe(true);
      expect(isEdgeCacheable(get(url))).toBe(true);
    },
  );

  it.each([404, 500, 503])("returns the origin's %i and stores nothing", async (status) => {
    const cache = new MemoryCache();
    const app = origin(status);
    const { response, waited } = await through(cache, app, get(FEED, { accept: READER }));
    expect([response.status, await response.text(), waited]).toEqual([status, "no such feed", 0]);
    expect(cache.entries.size).toBe(0);
    expect(app.asked).toHaveLength(1);
  });

  it("still answers when the cache cannot store, and says so", async () => {
    const cache = new MemoryCache();
    cache.fail = new Error("cache full");
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const app = origin();
    const { response } = await through(cache, app, get(FEED, { accept: READER }));
    expect([response.status, await response.text()]).toEqual([200, BODY]);
    expect(logged).toHaveBeenCalledWith(`edge cache: ${FEED}:`, cache.fail);
    expect(cache.entries.size).toBe(0);
  });
});
