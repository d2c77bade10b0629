/**
 * A shared HTTP cache in front of the app (the Workers Cache API on the
 * edge): feed readers polling a feed from one region are answered from it,
 * with a 304 where their ETag still matches, and the database is not asked.
 * Entries expire with the feed's own Cache-Control (max-age=300), so a
 * change reaches readers as late as their own caches already allow.
 *
 * Only explicit feed URLs (/feeds/TAG.xml, .atom, .json) are kept, and only
 * for feed readers: a browser navigating to a feed URL gets the feed's page
 * (feedOrPage in cached-feeds.ts), and the HTML pages vary with Accept.
 */
import { notModified } from "./conditional";
import { feedOrPage } from "./cached-feeds";
import { FORMAT_OF_EXTENSION } from "./feed-model";
import { FEED_CORS_HEADERS, FEED_SECURITY_HEADERS } from "./security-headers";

/** What the edge cache needs of the Cache API (caches.default on Workers). */
export interface SharedCache {
  match(request: Request): Promise<Response | undefined>;
  put(request: Request, response: Response): Promise<void>;
}

const FEED_PATH = /^\/feeds\/[^/]+\.([a-z]+)$/;

/** Whether a request may be answered from, and stored in, the shared cache. */
export function isEdgeCacheable(request: Request): boolean {
  if (request.method !== "GET") return false;
  const url = new URL(request.url);
  const format = FORMAT_OF_EXTENSION[FEED_PATH.exec(url.pathname)?.[1] ?? ""];
  if (!format) return false;
  if (request.headers.has("authorization") || request.headers.has("range")) return false;
  return feedOrPage(request.headers.get("accept"), format) !== "html";
}

export async function withEdgeCache(
  request: Request,
  cache: SharedCache,
  /** Keeps the runtime alive until the response is stored (ctx.waitUntil). */
  waitUntil: (work: Promise<unknown>) => void,
  origin: (request: Request) => Promise<Response>,
): Promise<Response> {
  if (!isEdgeCacheable(request)) return origin(request);
  // The cache answers If-None-Match and If-Modified-Since itself (a 304).
  const hit = await cache.match(request);
  if (hit) return hit;
  // Ask the origin unconditionally: a 304 from it could not be stored, and
  // the full response answers this reader's conditions on the way out.
  const unconditional = new Request(request.url, { method: "GET", headers: withoutConditions(request.headers) });
  const response = await origin(unconditional);
  if (response.status !== 200) return response;
  waitUntil(cache.put(unconditional, response.clone()).catch((error: unknown) => console.error(`edge cache: ${request.url}:`, error)));
  return stillFresh(request.headers, response) ? response : asNotModified(response);
}

function withoutConditions(headers: Headers): Headers {
  const copy = new Headers(headers);
  copy.delete("if-none-match");
  copy.delete("if-modified-since");
  return copy;
}

/** True unless the reader's validators show it already has these bytes. */
function stillFresh(request: Headers, response: Response): boolean {
  const etag = (response.headers.get("etag") ?? "")
    .replace(/^W\//, "")
    .replace(/^"|"$/g, "")
    .replace(/-(br|gzip)$/, "");
  const lastModified = new Date(response.headers.get("last-modified") ?? NaN);
  return !(etag && !Number.isNaN(lastModified.getTime()) && notModified(request, etag, lastModified));
}

/** The 304 the origin gives (cached-feeds.ts): the validators and caching fields alone. */
function asNotModified(response: Response): Response {
  const headers = new Headers(response.headers);
  for (const name of ["content-type", "content-length", "content-encoding", ...Object.keys(FEED_SECURITY_HEADERS)]) {
    if (!(name in FEED_CORS_HEADERS)) headers.delete(name);
  }
  return new Response(null, { status: 304, headers });
}
