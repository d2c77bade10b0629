/**
 * The feed cache's protocol, the whole of it: GET /feeds/:selector.:ext
 * served at the speed of a static file. A rendered feed is kept, keyed by
 * the versions of the tags it was rendered from, so a repeated request
 * neither queries nor renders; validators answer 304; compressed forms are
 * made once per version, and each variant's answer (status, body, headers)
 * once per version too. A URL served before is answered again by
 * cachedAnswer, ahead of routing and middleware. While the database is
 * unreachable, the last rendered version is served as it was. A browser
 * navigating to a feed URL gets the feed's page instead (feedOrPage).
 * The route (feed-route.ts) reads the query's parameters and asks here; the
 * rendered feeds are kept by FeedCache (feed-cache.ts), validators read by
 * conditional.ts, pages of feeds rendered by feed-channel.ts.
 */
import type { Context } from "hono";
import type { Database } from "../storage/database";
import { outageCode } from "../storage/outage";
import type { VersionSnapshot } from "../storage/versions";
import { chooseEncoding, etagFor, notModified, strongTag, type HeaderLookup } from "./conditional";
import { withinDeadline } from "./database-outage";
import { FeedCache, type CachedAnswer, type CachedFeed, type Compressors, type Encoding } from "./feed-cache";
import { renderFeedPage, type FeedRequest, type FeedScope } from "./feed-channel";
import { CONTENT_TYPE, type FeedFormat } from "./feed-model";
import { negotiate, wantsBrowserView } from "./negotiation";
import type { FeedCacheResult, PublishObserver } from "./observer";
import { FEED_CORS_HEADERS, FEED_SECURITY_HEADERS } from "./security-headers";
import { selectorKey, type Selector } from "./selector";
import type { VersionBook } from "./version-book";

// stale-if-error: this server itself keeps serving what it rendered while the database is unreachable
export const CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=3600, stale-if-error=86400";
/** How long finding the current version of a feed and rendering it may take before the stale copy is served. */
const QUERY_DEADLINE_MS = 3_000;
/** How many feed URLs the hot path knows at most; past that it starts afresh. */
const MAX_KNOWN_URLS = 4_096;

export interface CachedFeedsOptions {
  db: Database;
  versions: VersionBook;
  /** Byte budget of the rendered feeds. */
  cacheBytes?: number | undefined;
  /** Compressors the runtime offers; none on an edge that compresses itself. */
  compressors?: Compressors | undefined;
  /** WebSub hub announced in every feed. */
  hubUrl?: string | undefined;
  /** Told how the cache served each feed (hit, miss, stale; 304 or not). */
  observer?: PublishObserver | undefined;
}

/** What the route made of a feed URL it served, so that the hot path can answer that URL again. */
interface KnownUrl {
  key: string;
  selector: Selector;
  selectorKey: string;
  slugs: string[];
  format: FeedFormat;
}

/** Why there is nothing to serve: an unknown feed, or a position past either end of it. */
type Missing = "no feed" | "no page";

/** The feeds as the cache answers them: on the hot path, and on the route's. */
export class CachedFeeds {
  private readonly db: Database;
  private readonly versions: VersionBook;
  private readonly cache: FeedCache;
  private readonly compressors: Compressors;
  /** The encodings `compressors` can produce. */
  private readonly encodings: Encoding[];
  private readonly hubUrl: string | undefined;
  private readonly observer: PublishObserver | undefined;
  /** Feed URLs served, by request URL: what the hot path may answer without routing. */
  private readonly urls = new Map<string, KnownUrl>();

  constructor(options: CachedFeedsOptions) {
    this.db = options.db;
    this.versions = options.versions;
    this.cache = new FeedCache(options.cacheBytes);
    this.compressors = options.compressors ?? {};
    this.encodings = (["br", "gzip"] as const).filter((e) => this.compressors[e]);
    this.hubUrl = options.hubUrl;
    this.observer = options.observer;
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
  cachedAnswer(method: string, url: string, headers: HeaderLookup): CachedAnswer | null {
    if (method !== "GET") return null;
    const known = this.urls.get(url);
    if (!known || isBrowserView(headers.get("accept"))) return null;
    const snapshot = this.versions.fresh(known.slugs);
    const versionKey = snapshot && versionKeyIn(snapshot, known.selector, known.selectorKey);
    const entry = versionKey ? this.cache.get(known.key, versionKey) : undefined;
    const answer = entry?.answers.get(variantOf(headers, entry, this.encodings)) ?? null;
    if (answer) this.observer?.feedCache?.("hit", answer.init.status === 304);
    return answer;
  }

  /**
   * The route's answer: from the cache if the fresh snapshot of versions says
   * the feed is current, else rendered anew within a deadline, else, with the
   * database unreachable, the last version rendered. `urlNamesFormat`: the URL
   * names the format (/feeds/TAG.xml), so that the hot path may answer it
   * again; false for /feeds/TAG, whose format Accept chose.
   */
  async answer(c: Context, feed: FeedRequest, urlNamesFormat: boolean): Promise<Response> {
    const { selector, format, base, params } = feed;
    const slugs = selector.kind === "tags" ? selector.slugs : [];
    const key = [format, selectorKey(selector), params.limit, params.before ?? "", params.after ?? "", params.q ?? "", base].join("|");
    let entry: CachedFeed | Missing | undefined = this.cachedHit(selector, slugs, key);
    let cache: FeedCacheResult = "hit";
    if (!entry) {
      let rendered = false;
      try {
        entry = await withinDeadline(
          this.currentEntry(feed, slugs, key, () => (rendered = true)),
          QUERY_DEADLINE_MS,
        );
        if (rendered) cache = "miss";
      } catch (error) {
        // stale-if-error: with the database unreachable, the last version rendered of this very variant
        entry = outageCode(error) ? this.cache.last(key) : undefined;
        if (!entry) throw error;
        cache = "stale";
      }
    }
    if (entry === "no feed") return c.text("No such feed\n", 404);
    // a position past either end of the feed: there is no such page (the paging links never lead there)
    if (entry === "no page") return c.text("No items beyond this position\n", 404);

    const variant = variantOf(c.req.raw.headers, entry, this.encodings);
    const answer = entry.answers.get(variant) ?? (await this.prepareAnswer(entry, variant));
    this.observer?.feedCache?.(cache, (variant & NOT_MODIFIED) !== 0);
    // the format of /feeds/TAG depends on Accept, not on the URL alone
    if (urlNamesFormat && !this.urls.has(c.req.url)) {
      if (this.urls.size >= MAX_KNOWN_URLS) this.urls.clear();
      this.urls.set(c.req.url, { key, selector, selectorKey: selectorKey(selector), slugs, format });
    }
    return new Response(answer.body, answer.init);
  }

  /** The cached entry if the fresh snapshot says it is current: no query, so no deadline to arm. */
  private cachedHit(selector: Selector, slugs: string[], key: string): CachedFeed | undefined {
    const snapshot = this.versions.fresh(slugs);
    const scope = snapshot && resolve(snapshot, selector);
    return scope ? this.cache.get(key, scope.versionKey) : undefined;
  }

  /** The cached entry of the feed's current version, rendered first if need be. */
  private async currentEntry(
    feed: FeedRequest,
    slugs: string[],
    key: string,
    /** Called when the feed is rendered for this request, not found in the cache. */
    onRender: () => void,
  ): Promise<CachedFeed | Missing> {
    const snapshot = this.versions.fresh(slugs) ?? (await this.versions.covering(slugs));
    const scope = resolve(snapshot, feed.selector);
    if (!scope) return "no feed";
    let entry = this.cache.get(key, scope.versionKey);
    if (!entry) {
      const body = await renderFeedPage(this.db, feed, scope, this.hubUrl);
      if (body === "no page") return "no page";
      entry = await newEntry(scope, feed.format, body);
      this.cache.set(key, entry);
      onRender();
    }
    return entry;
  }

  /** The answer to one variant of a cached feed, built on first demand and kept with the feed. */
  private async prepareAnswer(entry: CachedFeed, variant: number): Promise<CachedAnswer> {
    const fresh = (variant & NOT_MODIFIED) !== 0;
    const encoding = variant & BR ? "br" : variant & GZIP ? "gzip" : null;
    const body = fresh ? null : (encoding && (await this.cache.encodedBody(entry, encoding, this.compressors))) || entry.body;
    const headers = responseHeaders(entry, { fresh, encoding: body === entry.body ? null : encoding, length: body?.length });
    const answer: CachedAnswer = {
      body: body as Uint8Array<ArrayBuffer> | null,
      init: { status: fresh ? 304 : 200, headers },
      headerList: Object.entries(headers).flat(),
    };
    entry.answers.set(variant, answer);
    return answer;
  }
}

/**
 * What a GET of a feed URL is answered with: the feed in the format the URL
 * names (/feeds/TAG.xml), or the one Accept chooses where it names none
 * (/feeds/TAG, `named` null); "html" for the feed's page for people, which a
 * browser navigating to a feed URL gets too (see wantsBrowserView).
 */
export function feedOrPage(accept: string | null, named: FeedFormat | null): FeedFormat | "html" {
  if (named === null) return negotiate(accept);
  return isBrowserView(accept) ? "html" : named;
}

// Clients send few distinct Accept headers, and each feed poll sends one: judged once each (every format
// gets the same page, so the format does not decide).
const browserViews = new Map<string, boolean>();
const MAX_ACCEPTS_KEPT = 256;

/** wantsBrowserView, remembered per distinct Accept header. */
function isBrowserView(accept: string | null): boolean {
  if (accept === null) return wantsBrowserView(accept);
  let verdict = browserViews.get(accept);
  if (verdict === undefined) {
    verdict = wantsBrowserView(accept);
    if (browserViews.size >= MAX_ACCEPTS_KEPT) browserViews.clear();
    browserViews.set(accept, verdict);
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

/** A cached feed's answers are numbered by variant: these bits, a 304 or not and the encoding, make the number. */
const NOT_MODIFIED = 1;
const BR = 2;
const GZIP = 4;

/** Which of a cached feed's answers a request gets. A browser's navigation is no variant: it gets the feed's page. */
function variantOf(headers: HeaderLookup, entry: CachedFeed, encodings: Encoding[]): number {
  const encoding = chooseEncoding(headers.get("accept-encoding"), encodings);
  // the client's copy is current: 304
  const fresh = notModified(headers, entry.etag, entry.lastModified);
  return (fresh ? NOT_MODIFIED : 0) | (encoding === "br" ? BR : encoding === "gzip" ? GZIP : 0);
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

/** A feed's scope in a snapshot, and the version key its cached entries carry. */
interface Scope extends FeedScope {
  versionKey: string;
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

/** A rendered feed as the cache keeps it: its bytes, their strong validator, the dates as HTTP writes them. */
async function newEntry(scope: Scope, format: FeedFormat, bytes: Uint8Array): Promise<CachedFeed> {
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
