/**
 * GET /feeds/:selector.:ext, served at the speed of a static file: a
 * rendered feed is kept, keyed by the versions of the tags it was rendered
 * from, so a repeated request neither queries nor renders; validators
 * answer 304; compressed forms are made once per version, and each
 * variant's answer (status, body, headers) once per version too. A URL
 * served before is answered again by cachedAnswer, ahead of routing and
 * middleware. While the database is unreachable, the last rendered version
 * is served as it was.
 */
import type { Context } from "hono";
import type { Database } from "../storage/database";
import { feedPage, type FeedPage } from "../storage/queries";
import type { VersionSnapshot } from "../storage/versions";
import { outageCode } from "../storage/outage";
import { chooseEncoding, etagFor, notModified, strongTag, type HeaderLookup } from "./conditional";
import { withinDeadline } from "./database-outage";
import type { FeedCache, CachedAnswer, CachedFeed, Compressors, Encoding } from "./feed-cache";
import { CONTENT_TYPE, renderFeed, type FeedFormat } from "./feed-formats";
import { feedUrl } from "./feed-model";
import { wantsBrowserView } from "./negotiation";
import type { FeedCacheResult, PublishObserver } from "./observer";
import { FEED_CORS_HEADERS, FEED_SECURITY_HEADERS } from "./security-headers";
import { formatPosition, parsePosition, selectorKey, type Selector } from "./selector";
import type { VersionBook } from "./version-book";

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;
const MAX_QUERY = 200;
// stale-if-error: this server itself keeps serving what it rendered while the database is unreachable
export const CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=3600, stale-if-error=86400";
/** How long finding the current version of a feed and rendering it may take before the stale copy is served. */
const QUERY_DEADLINE_MS = 3_000;
/** How many feed URLs the hot path knows at most; past that it starts afresh. */
const MAX_KNOWN_URLS = 4_096;

export interface FeedRouteDeps {
  db: Database;
  versions: VersionBook;
  cache: FeedCache;
  compressors: Compressors;
  /** The encodings `compressors` can produce. */
  encodings: Encoding[];
  hubUrl?: string | undefined;
  /** Feed URLs served, by request URL: what the hot path may answer without routing. */
  urls: Map<string, KnownUrl>;
  /** Told how the cache served each feed (hit, miss, stale; 304 or not). */
  observer?: PublishObserver | undefined;
}

/** What the route made of a feed URL it served, so that the hot path can answer that URL again. */
export interface KnownUrl {
  key: string;
  selector: Selector;
  selectorKey: string;
  slugs: string[];
  format: FeedFormat;
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
  /**
   * The URL names the format (/feeds/TAG.xml), so that the hot path may
   * answer it again; false for /feeds/TAG, whose format Accept chose.
   */
  urlNamesFormat = true,
): Promise<Response> {
  const params = readParams(c);
  if (typeof params === "string") return c.text(`${params}\n`, 400);

  const slugs = selector.kind === "tags" ? selector.slugs : [];
  const key = [format, selectorKey(selector), params.limit, params.before ?? "", params.after ?? "", params.q ?? "", base].join("|");
  let entry: CachedFeed | Missing | undefined = cachedHit(deps, selector, slugs, key);
  let cache: FeedCacheResult = "hit";
  if (!entry) {
    let rendered = false;
    try {
      entry = await withinDeadline(
        currentEntry(deps, selector, format, base, params, slugs, key, () => (rendered = true)),
        QUERY_DEADLINE_MS,
      );
      if (rendered) cache = "miss";
    } catch (error) {
      // stale-if-error: with the database unreachable, the last version rendered of this very variant
      entry = outageCode(error) ? deps.cache.last(key) : undefined;
      if (!entry) throw error;
      cache = "stale";
    }
  }
  if (entry === "no feed") return c.text("No such feed\n", 404);
  // a position past either end of the feed: there is no such page (the paging links never lead there)
  if (entry === "no page") return c.text("No items beyond this position\n", 404);

  const variant = variantOf(c.req.raw.headers, entry, deps.encodings);
  const answer = entry.answers.get(variant.id) ?? (await prepareAnswer(deps, entry, variant));
  deps.observer?.feedCache?.(cache, variant.fresh);
  // the format of /feeds/TAG depends on Accept, not on the URL alone
  if (urlNamesFormat && !deps.urls.has(c.req.url)) {
    if (deps.urls.size >= MAX_KNOWN_URLS) deps.urls.clear();
    deps.urls.set(c.req.url, { key, selector, selectorKey: selectorKey(selector), slugs, format });
  }
  return new Response(answer.body, answer.init);
}

/**
 * The hot path: a GET of a feed URL the route has served before (`url` as
 * the request's URL was then), answered from the cache alone and
 * synchronously with an answer built once per variant, so that the server
 * sends it without routing, middleware or a single await. Null when the
 * full route must answer: another method or URL, a browser's navigation
 * (which gets the feed's page, see wantsBrowserView), a snapshot of versions
 * too old to trust, a version not rendered yet, a variant not asked for yet.
 */
export function cachedAnswer(deps: FeedRouteDeps, method: string, url: string, headers: HeaderLookup): CachedAnswer | null {
  if (method !== "GET") return null;
  const known = deps.urls.get(url);
  if (!known || isBrowserView(headers.get("accept"), known.format)) return null;
  const snapshot = deps.versions.fresh(known.slugs);
  const versionKey = snapshot && versionKeyIn(snapshot, known.selector, known.selectorKey);
  const entry = versionKey ? deps.cache.get(known.key, versionKey) : undefined;
  const answer = entry?.answers.get(variantOf(headers, entry, deps.encodings).id) ?? null;
  if (answer) deps.observer?.feedCache?.("hit", answer.init.status === 304);
  return answer;
}

// Clients send few distinct Accept headers, and each feed poll sends one: judged once each, per format.
const browserViews: Record<FeedFormat, Map<string, boolean>> = { rss: new Map(), atom: new Map(), json: new Map() };
const MAX_ACCEPTS_KEPT = 256;

/** wantsBrowserView, remembered per distinct Accept header. */
function isBrowserView(accept: string | null, format: FeedFormat): boolean {
  if (accept === null) return wantsBrowserView(accept, format);
  const verdicts = browserViews[format];
  let verdict = verdicts.get(accept);
  if (verdict === undefined) {
    verdict = wantsBrowserView(accept, format);
    if (verdicts.size >= MAX_ACCEPTS_KEPT) verdicts.clear();
    verdicts.set(accept, verdict);
  }
  return verdict;
}

// Each feed's version key in a snapshot, worked out once per snapshot (a new one comes every 2 s at most)
// and forgotten with it.
const versionKeys = new WeakMap<VersionSnapshot, Map<string, string | null>>();

function versionKeyIn(snapshot: VersionSnapshot, selector: Selector, key: string): string | null {
  let keys = versionKeys.get(snapshot);
  if (!keys) {
    keys = new Map();
    versionKeys.set(snapshot, keys);
  }
  let versionKey = keys.get(key);
  if (versionKey === undefined) {
    versionKey = resolve(snapshot, selector)?.versionKey ?? null;
    keys.set(key, versionKey);
  }
  return versionKey;
}

/** The cached entry if the fresh snapshot says it is current: no query, so no deadline to arm. */
function cachedHit(deps: FeedRouteDeps, selector: Selector, slugs: string[], key: string): CachedFeed | undefined {
  const snapshot = deps.versions.fresh(slugs);
  const scope = snapshot && resolve(snapshot, selector);
  return scope ? deps.cache.get(key, scope.versionKey) : undefined;
}

/** Which of a cached feed's answers a request gets; `id` numbers it among the entry's answers. */
interface Variant {
  id: number;
  /** The client's copy is current: 304. */
  fresh: boolean;
  encoding: Encoding | null;
}

// A browser's navigation is no variant: it gets the feed's page, never one of these answers.
function variantOf(headers: HeaderLookup, entry: CachedFeed, encodings: Encoding[]): Variant {
  const encoding = chooseEncoding(headers.get("accept-encoding"), encodings);
  const fresh = notModified(headers, entry.etag, entry.lastModified);
  const id = (fresh ? 1 : 0) | (encoding === "br" ? 2 : encoding === "gzip" ? 4 : 0);
  return { id, fresh, encoding };
}

/** The answer to one variant of a cached feed, built on first demand and kept with the feed. */
async function prepareAnswer(deps: FeedRouteDeps, entry: CachedFeed, v: Variant): Promise<CachedAnswer> {
  const body = v.fresh ? null : (v.encoding && (await deps.cache.encodedBody(entry, v.encoding, deps.compressors))) || entry.body;
  const headers = responseHeaders(entry, { fresh: v.fresh, encoding: body === entry.body ? null : v.encoding, length: body?.length });
  const answer: CachedAnswer = {
    body: body as Uint8Array<ArrayBuffer> | null,
    init: { status: v.fresh ? 304 : 200, headers },
    headerList: Object.entries(headers).flat(),
  };
  entry.answers.set(v.id, answer);
  return answer;
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
  /** Called when the feed is rendered for this request, not found in the cache. */
  onRender: () => void,
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
    onRender();
  }
  return entry;
}

/**
 * The headers of one variant of a cached feed: a 304 carries the validators
 * and caching fields alone, a 200 the feed document's security headers too
 * (see security-headers.ts); the security middleware leaves both as they are.
 */
function responseHeaders(entry: CachedFeed, v: { fresh: boolean; encoding: Encoding | null; length: number | undefined }): Record<string, string> {
  const headers: Record<string, string> = {
    "Cache-Control": CACHE_CONTROL,
    "Last-Modified": entry.lastModifiedHttp,
    // a browser navigating to a feed URL gets the feed's page instead (wantsBrowserView)
    Vary: "Accept, Accept-Encoding",
    ETag: etagFor(entry.etag, v.encoding),
    ...FEED_CORS_HEADERS,
  };
  if (!v.fresh) {
    headers["Content-Type"] = entry.contentType;
    if (v.encoding) headers["Content-Encoding"] = v.encoding;
    headers["Content-Length"] = String(v.length);
    Object.assign(headers, FEED_SECURITY_HEADERS);
  }
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
  const position = (item: (typeof items)[number]) => formatPosition({ feedAt: item.feedAt, id: item.id });
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
    answers: new Map(),
    size: bytes.length,
    usedAt: 0,
  };
}
