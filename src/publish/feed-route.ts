/**
 * GET /feeds/:selector.:ext, served at the speed of a static file: a
 * rendered feed is kept, keyed by the versions of the tags it was rendered
 * from, so a repeated request neither queries nor renders; validators
 * answer 304; compressed forms are made once per version.
 */
import type { Context } from "hono";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { Database } from "../storage/database";
import { feedItems } from "../storage/queries";
import type { VersionSnapshot } from "../storage/versions";
import { chooseEncoding, etagFor, notModified } from "./conditional";
import { FeedCache, type CachedFeed, type Compressors, type Encoding } from "./feed-cache";
import { CONTENT_TYPE, renderFeed, type FeedFormat } from "./feed-formats";
import { feedUrl } from "./feed-model";
import { formatPosition, parsePosition, selectorKey, type Selector } from "./selector";
import type { VersionBook } from "./version-book";

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;
const MAX_QUERY = 200;
export const CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=3600";

export interface FeedRouteDeps {
  db: Database;
  versions: VersionBook;
  cache: FeedCache;
  compressors: Compressors;
  hubUrl?: string | undefined;
  stylesheet?: string | undefined;
}

interface FeedParams {
  limit: number;
  before?: string;
  after?: string;
  q?: string;
}

const encoder = new TextEncoder();

export async function serveFeed(
  c: Context,
  deps: FeedRouteDeps,
  selector: Selector,
  format: FeedFormat,
  base: string,
  /** The format was chosen by Accept (/feeds/TAG) rather than by the extension. */
  negotiated = false,
): Promise<Response> {
  const params = readParams(c);
  if (typeof params === "string") return c.text(`${params}\n`, 400);

  const snapshot = await deps.versions.covering(selector.kind === "tags" ? selector.slugs : []);
  const scope = resolve(snapshot, selector);
  if (!scope) return c.text("No such feed\n", 404);

  const key = [format, selectorKey(selector), params.limit, params.before ?? "", params.after ?? "", params.q ?? "", base].join("|");
  let entry = deps.cache.get(key, scope.versionKey);
  if (!entry) {
    entry = await render(deps, selector, format, base, params, scope);
    deps.cache.set(key, entry);
  }

  const headers: Record<string, string> = {
    "Cache-Control": CACHE_CONTROL,
    "Last-Modified": entry.lastModified.toUTCString(),
    // XML feeds are labelled differently for browsers (forBrowser)
    Vary: negotiated || format !== "json" ? "Accept, Accept-Encoding" : "Accept-Encoding",
  };
  const encoding = chooseEncoding(c.req.header("accept-encoding") ?? null, Object.keys(deps.compressors) as Encoding[]);
  headers.ETag = etagFor(entry.etag, encoding);
  if (notModified(c.req.raw.headers, entry.etag, entry.lastModified)) return c.body(null, 304, headers);

  headers["Content-Type"] = forBrowser(c, format) ? "application/xml; charset=utf-8" : entry.contentType;
  let body = entry.body;
  if (encoding) {
    const encoded = await deps.cache.encodedBody(entry, encoding, deps.compressors);
    if (encoded) {
      body = encoded;
      headers["Content-Encoding"] = encoding;
    }
  }
  headers["Content-Length"] = String(body.length);
  return c.body(body as Uint8Array<ArrayBuffer>, 200, headers);
}

/**
 * Browsers show application/rss+xml as text or a download; labelled
 * application/xml, the same bytes get the feed's XSL stylesheet applied. A
 * navigation that prefers HTML is a browser; feed readers ask for feeds.
 */
function forBrowser(c: Context, format: FeedFormat): boolean {
  if (format === "json") return false;
  const accept = c.req.header("accept") ?? "";
  const html = accept.indexOf("text/html");
  return html >= 0 && !/application\/(rss|atom)\+xml/.test(accept.slice(0, html));
}

interface Scope {
  tagIds: number[] | null;
  label: string;
  versionKey: string;
  lastModified: Date;
}

function resolve(snapshot: VersionSnapshot, selector: Selector): Scope | null {
  if (selector.kind === "all") {
    return { tagIds: null, label: "Alle Meldungen", versionKey: `all:${snapshot.all.version}`, lastModified: snapshot.all.changedAt };
  }
  const states = selector.slugs.map((slug) => snapshot.tags.get(slug));
  if (states.some((s) => !s)) return null;
  const found = states as NonNullable<(typeof states)[number]>[];
  return {
    tagIds: found.map((t) => t.id),
    label: found.map((t) => t.label).join(" + "),
    versionKey: found.map((t) => `${t.slug}:${t.version}`).join(","),
    lastModified: new Date(Math.max(...found.map((t) => t.changedAt.getTime()))),
  };
}

function readParams(c: Context): FeedParams | string {
  const raw = c.req.query("limit");
  let limit = DEFAULT_LIMIT;
  if (raw !== undefined && raw !== "") {
    if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1) return `limit must be a whole number from 1 to ${MAX_LIMIT}`;
    limit = Math.min(Number(raw), MAX_LIMIT);
  }
  const params: FeedParams = { limit };
  for (const name of ["before", "after"] as const) {
    const value = c.req.query(name);
    if (value === undefined) continue;
    if (!parsePosition(value)) return `${name} must be a position taken from a feed's paging links`;
    params[name] = value;
  }
  if (params.before && params.after) return "before and after cannot be combined";
  const q = c.req.query("q")?.trim();
  if (q) {
    if (q.length > MAX_QUERY) return `q must be at most ${MAX_QUERY} characters`;
    params.q = q;
  }
  return params;
}

async function render(
  deps: FeedRouteDeps,
  selector: Selector,
  format: FeedFormat,
  base: string,
  params: FeedParams,
  scope: Scope,
): Promise<CachedFeed> {
  const items = await feedItems(deps.db, {
    tagIds: scope.tagIds,
    limit: params.limit,
    before: params.before ? parsePosition(params.before)! : undefined,
    after: params.after ? parsePosition(params.after)! : undefined,
    q: params.q,
  });

  // the canonical address: sorted union, explicit extension, whatever the request said
  const canonical = feedUrl(base, selectorKey(selector), format);
  const url = (extra: Record<string, string | undefined>) => {
    const u = new URL(canonical);
    const all = { limit: params.limit === DEFAULT_LIMIT ? undefined : String(params.limit), q: params.q, ...extra };
    for (const [k, v] of Object.entries(all)) if (v !== undefined) u.searchParams.set(k, v);
    return u.toString();
  };
  const first = url({});
  const paged = Boolean(params.before || params.after);
  const position = (item: (typeof items)[number]) => formatPosition({ feedAt: item.publishedAt ?? item.firstSeenAt, id: item.id });
  const oldest = items[items.length - 1];
  const newest = items[0];
  const body = renderFeed(format, {
    key: selectorKey(selector),
    label: scope.label,
    base,
    homeUrl: selector.kind === "all" ? `${base}/` : `${base}/feeds/${selectorKey(selector)}`,
    selfUrl: url({ before: params.before, after: params.after }),
    hub: deps.hubUrl,
    stylesheet: deps.stylesheet,
    paging: {
      first,
      next: oldest && items.length === params.limit ? url({ before: position(oldest) }) : undefined,
      previous: paged && newest ? url({ after: position(newest) }) : undefined,
    },
    items,
  });
  const bytes = encoder.encode(body);
  return {
    versionKey: scope.versionKey,
    body: bytes,
    etag: bytesToHex(sha256(bytes)).slice(0, 32),
    lastModified: scope.lastModified,
    contentType: CONTENT_TYPE[format],
    encoded: {},
    size: bytes.length,
  };
}
