/**
 * GET /feeds/:selector.:ext, served at the speed of a static file: a
 * rendered feed is kept, keyed by the versions of the tags it was rendered
 * from, so a repeated request neither queries nor renders; validators
 * answer 304; compressed forms are made once per version. While the
 * database is unreachable, the last rendered version is served as it was.
 */
import type { Context } from "hono";
import type { Database } from "../storage/database";
import { feedPage, type FeedPage } from "../storage/queries";
import type { VersionSnapshot } from "../storage/versions";
import { chooseEncoding, etagFor, notModified, strongTag } from "./conditional";
import { outageCode } from "../storage/outage";
import { withinDeadline } from "./database-outage";
import { FeedCache, type CachedFeed, type Compressors, type Encoding } from "./feed-cache";
import { CONTENT_TYPE, renderFeed, type FeedFormat } from "./feed-formats";
import { feedUrl } from "./feed-model";
import { formatPosition, parsePosition, selectorKey, type Selector } from "./selector";
import type { VersionBook } from "./version-book";

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;
const MAX_QUERY = 200;
// stale-if-error: this server itself keeps serving what it rendered while the database is unreachable
export const CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=3600, stale-if-error=86400";
/** How long finding the current version of a feed and rendering it may take before the stale copy is served. */
const QUERY_DEADLINE_MS = 3_000;

export interface FeedRouteDeps {
  db: Database;
  versions: VersionBook;
  cache: FeedCache;
  compressors: Compressors;
  /** The encodings `compressors` can produce. */
  encodings: Encoding[];
  hubUrl?: string | undefined;
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
): Promise<Response> {
  const params = readParams(c);
  if (typeof params === "string") return c.text(`${params}\n`, 400);

  const slugs = selector.kind === "tags" ? selector.slugs : [];
  const key = [format, selectorKey(selector), params.limit, params.before ?? "", params.after ?? "", params.q ?? "", base].join("|");
  let entry: CachedFeed | Missing | undefined = cachedHit(deps, selector, slugs, key);
  if (!entry) {
    try {
      entry = await withinDeadline(currentEntry(deps, selector, format, base, params, slugs, key), QUERY_DEADLINE_MS);
    } catch (error) {
      // stale-if-error: with the database unreachable, the last version rendered of this very variant
      entry = outageCode(error) ? deps.cache.last(key) : undefined;
      if (!entry) throw error;
    }
  }
  if (entry === "no feed") return c.text("No such feed\n", 404);
  // a position past either end of the feed: there is no such page (the paging links never lead there)
  if (entry === "no page") return c.text("No items beyond this position\n", 404);

  const encoding = chooseEncoding(c.req.header("accept-encoding") ?? null, deps.encodings);
  const fresh = notModified(c.req.raw.headers, entry.etag, entry.lastModified);
  let body: Uint8Array | null = null;
  if (!fresh) {
    body = (encoding && (await deps.cache.encodedBody(entry, encoding, deps.compressors))) || entry.body;
  }
  const headers = responseHeaders(entry, { fresh, encoding: body === entry.body ? null : encoding, length: body?.length });
  return new Response(body as Uint8Array<ArrayBuffer> | null, { status: fresh ? 304 : 200, headers });
}

/** The cached entry if the fresh snapshot says it is current: no query, so no deadline to arm. */
function cachedHit(deps: FeedRouteDeps, selector: Selector, slugs: string[], key: string): CachedFeed | undefined {
  const snapshot = deps.versions.fresh(slugs);
  const scope = snapshot && resolve(snapshot, selector);
  return scope ? deps.cache.get(key, scope.versionKey) : undefined;
}

/** Why there is nothing to serve: an unknown feed, or a position past either end of it. */
type Missing = "no feed" | "no page";

/** The cached entry of the feed's current version, rendered first if need be. */
async function currentEntry(
  deps: FeedRouteDeps,
  selector: Selector,
  format: FeedFormat,
  base: string,
  params: FeedParams,
  slugs: string[],
  key: string,
): Promise<CachedFeed | Missing> {
  const snapshot = deps.versions.fresh(slugs) ?? (await deps.versions.covering(slugs));
  const scope = resolve(snapshot, selector);
  if (!scope) return "no feed";
  let entry = deps.cache.get(key, scope.versionKey);
  if (!entry) {
    const page = await feedPage(deps.db, {
      tagIds: scope.tagIds,
      limit: params.limit,
      before: params.before ? parsePosition(params.before)! : undefined,
      after: params.after ? parsePosition(params.after)! : undefined,
      q: params.q,
    });
    if (!page.items.length && (params.before || params.after)) return "no page";
    entry = await render(deps, selector, format, base, params, scope, page);
    deps.cache.set(key, entry);
  }
  return entry;
}

/** The headers of one variant of a cached feed, built on first use and kept with it. */
function responseHeaders(
  entry: CachedFeed,
  v: { fresh: boolean; encoding: Encoding | null; length: number | undefined },
): Record<string, string> {
  const key = `${v.fresh}|${v.encoding}|${v.length}`;
  let headers = entry.headers.get(key);
  if (headers) return headers;
  headers = {
    "Cache-Control": CACHE_CONTROL,
    "Last-Modified": entry.lastModifiedHttp,
    // a browser navigating to a feed URL gets the feed's page instead (wantsBrowserView)
    Vary: "Accept, Accept-Encoding",
    ETag: etagFor(entry.etag, v.encoding),
  };
  if (!v.fresh) {
    headers["Content-Type"] = entry.contentType;
    if (v.encoding) headers["Content-Encoding"] = v.encoding;
    headers["Content-Length"] = String(v.length);
  }
  entry.headers.set(key, headers);
  return headers;
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

export function readParams(c: Context): FeedParams | string {
  if (!c.req.url.includes("?")) return { limit: DEFAULT_LIMIT };
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
  page: FeedPage,
): Promise<CachedFeed> {
  const { items } = page;

  // the canonical address: sorted union, explicit extension, whatever the request said
  const canonical = feedUrl(base, selectorKey(selector), format);
  const url = (extra: Record<string, string | undefined>) => {
    const u = new URL(canonical);
    const all = { limit: params.limit === DEFAULT_LIMIT ? undefined : String(params.limit), q: params.q, ...extra };
    for (const [k, v] of Object.entries(all)) if (v !== undefined) u.searchParams.set(k, v);
    return u.toString();
  };
  const first = url({});
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
    changedAt: scope.lastModified,
    paging: {
      first,
      next: oldest && page.older ? url({ before: position(oldest) }) : undefined,
      previous: newest && page.newer ? url({ after: position(newest) }) : undefined,
    },
    items,
  });
  const bytes = encoder.encode(body);
  return {
    versionKey: scope.versionKey,
    body: bytes,
    etag: await strongTag(bytes),
    lastModified: scope.lastModified,
    lastModifiedHttp: scope.lastModified.toUTCString(),
    contentType: CONTENT_TYPE[format],
    encoded: {},
    headers: new Map(),
    size: bytes.length,
  };
}
