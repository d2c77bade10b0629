/**
 * The publishing app: plain Hono over an injected database, with nothing in
 * it that ties it to Node, so the Node server and the Worker serve the same
 * bytes.
 */
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { routePath } from "hono/route";
import type { Database } from "../storage/database";
import { feedItems, findItem, listTags } from "../storage/queries";
import { logLine, textFault } from "../normalise/text";
import { rootMessage } from "../storage/error-cause";
import { outageCode } from "../storage/outage";
import type { HeaderLookup } from "./conditional";
import { requestDeadline, unavailable } from "./database-outage";
import { CachedFeeds, feedOrPage } from "./cached-feeds";
import type { CachedAnswer, Compressors } from "./feed-cache";
import { feedMethodNotAllowed, feedPreflight } from "./feed-methods";
import { FORMAT_OF_EXTENSION } from "./feed-model";
import { serveFeedPage } from "./feed-page-route";
import { serveFeed } from "./feed-route";
import type { PublishObserver } from "./observer";
import { opmlRoute } from "./opml-route";
import { indexPage, itemPage } from "./pages";
import { databaseProblem } from "./readiness";
import { securityHeaders } from "./security-headers";
import { MAX_UNION, parseSelector, selectorKey, type Selector } from "./selector";
import type { VersionSnapshot } from "../storage/versions";
import { VersionBook } from "./version-book";
import type { StoreReport } from "../storage/store-document";
import { announceChanges } from "./websub";

export interface AppOptions {
  db: Database;
  /** Feed versions; pass one to invalidate it after ingesting in this process. */
  versions?: VersionBook;
  /** Compressors the runtime offers (Node: gzip and brotli); none on an edge that compresses itself. */
  compressors?: Compressors;
  /** Byte budget of the rendered-feed cache. */
  cacheBytes?: number;
  /** WebSub hub announced in every feed. */
  hubUrl?: string | undefined;
  /**
   * The public base URL (https://feeds.example.org). Feeds must carry
   * absolute URLs; without this they are built from the request's own URL,
   * which behind a proxy may not be the address readers use.
   */
  publicUrl?: string | undefined;
  /**
   * Runs work that outlives the response (telling the WebSub hub about a
   * change, see Publisher.changed). The Worker hands it to waitUntil;
   * by default it runs detached.
   */
  background?: (task: Promise<unknown>) => void;
  /**
   * Whether the database may be used yet: null once it may, else the outage
   * that keeps it from being prepared (a server started while PostgreSQL was
   * unreachable, whose migrations are still to run). Until then every answer
   * that needs the database is a 503, /readyz says why, /healthz is alive.
   */
  pending?: () => PendingDatabase | null;
  /** Told of every answer and of how the feed cache served it: the Node server counts them for /metrics. */
  observer?: PublishObserver;
}

/** Why a database that is not ready yet cannot be used. */
export interface PendingDatabase {
  /** The outage's code, for the log (ECONNREFUSED, 57P03, …; MIGRATING while the database is being prepared). */
  code: string;
  /** For /readyz: "the database is unreachable (ECONNREFUSED)", "migrating". */
  reason: string;
}

const ITEM_ID = /^[0-9a-f]{32}$/;
/** A moved or removed tag's feed: a browser keeps a 301 without it for good, and a tag may come back. */
const MOVED_CACHE_CONTROL = "public, max-age=300";
/** The longest a read request waits on the database; feeds fall back to their stale copy before. */
const REQUEST_DEADLINE_MS = 4_000;
/** Feed files (/feeds/TAG.xml), whose route has a deadline of its own. */
const FEED_FILE = /^\/feeds\/[^/]+\.[a-z]+$/;
/** Feed URLs, which answer OPTIONS and other methods without the database. */
const FEED_URL = /^\/feeds(\/[^/]+|\.opml)$/;
/** The route of every feed file, as the hot path's answers are counted. */
export const FEED_ROUTE = "/feeds/:file";
/** What is answered the same whether or not the database may be used yet. */
const NEEDS_NO_DATABASE = new Set(["/healthz", "/favicon.svg", "/favicon.ico"]);
const detached = (task: Promise<unknown>) => void task.catch((error: unknown) => console.error(`warning: ${(error as Error).message}`));
const FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#e8710a"/>' +
  '<circle cx="4.5" cy="11.5" r="1.6" fill="#fff"/><path d="M3 6.5a6.5 6.5 0 0 1 6.5 6.5M3 3a10 10 0 0 1 10 10" stroke="#fff" stroke-width="1.8" fill="none"/></svg>';

/**
 * Where the feed of a renamed or merged tag is now (the selector's key with the slugs that have its tags),
 * "gone" for a removed tag's, or null. Before the route, only for a slug the latest snapshot, of any age,
 * does not know (a feed it knows is the route's to answer, from its stale copy while the database is
 * unreachable, and waiting here would double the wait); after the route's 404 always, with the snapshot
 * the route has just read.
 */
async function movedFeed(versions: VersionBook, selector: Selector, afterNotFound: boolean): Promise<string | "gone" | null> {
  if (selector.kind !== "tags") return null;
  const last = versions.last();
  // without a snapshot yet (a Worker's first request), or one that knows the feed, the route answers first
  if (!afterNotFound && (!last || selector.slugs.every((slug) => last.tags.has(slug)))) return null;
  let snapshot: VersionSnapshot;
  try {
    snapshot = await versions.covering(selector.slugs);
  } catch {
    return null;
  }
  let moved = false;
  const slugs: string[] = [];
  for (const slug of selector.slugs) {
    if (snapshot.tags.has(slug) || !snapshot.aliases.has(slug)) {
      slugs.push(slug);
      continue;
    }
    const to = snapshot.aliases.get(slug);
    if (to === null || to === undefined) return "gone";
    slugs.push(to);
    moved = true;
  }
  return moved ? selectorKey({ kind: "tags", slugs: [...new Set(slugs)].sort() }) : null;
}

export function createApp(options: AppOptions): Hono {
  return createPublisher(options).app;
}

/** The app, and its hot path for a shell that can answer before making a Request (the Node server). */
export interface Publisher {
  app: Hono;
  /** The cached answer to a GET of a feed URL served before, as the app would give it; null otherwise (see cached-feeds.ts). */
  cachedAnswer(method: string, url: string, headers: HeaderLookup): CachedAnswer | null;
  /** Stored items changed in this process (a page posted to the admin API): feeds are rendered anew, the WebSub hub is told. */
  changed(report: StoreReport): void;
}

export function createPublisher(options: AppOptions): Publisher {
  const { db, publicUrl, compressors, cacheBytes, hubUrl, background = detached, pending, observer } = options;
  const versions = options.versions ?? new VersionBook(db);
  const feeds = new CachedFeeds({ db, versions, cacheBytes, compressors, hubUrl, observer });
  const baseOf = (url: string) => (publicUrl ?? new URL(url).origin).replace(/\/+$/, "");
  const app = new Hono();

  if (observer?.answered) app.use("*", countAnswers(observer.answered));
  app.use("*", securityHeaders);
  app.use("*", refuseFaultyQueries);
  if (pending) app.use("*", waitForDatabase(pending));
  app.use("*", requestDeadline(REQUEST_DEADLINE_MS, FEED_FILE));

  app.get("/", async (c) => c.html(indexPage(baseOf(c.req.url), await listTags(db), await feedItems(db, { tagIds: null, limit: 20 }))));

  app.get("/favicon.svg", (c) => c.body(FAVICON, 200, { "Content-Type": "image/svg+xml", "Cache-Control": "public, max-age=604800" }));
  // browsers ask for it whatever the page says
  app.get("/favicon.ico", (c) => c.redirect("/favicon.svg", 301));

  const serveOpml = opmlRoute(db, versions);
  app.get("/feeds.opml", (c) => serveOpml(c, baseOf(c.req.url)));

  // alive: the process answers, whatever the database does
  app.get("/healthz", (c) => c.text("ok", 200, { "Cache-Control": "no-store" }));
  app.get("/readyz", async (c) => {
    const problem = await databaseProblem(db);
    return c.text(problem ? `not ready: ${problem}` : "ready", problem ? 503 : 200, { "Cache-Control": "no-store" });
  });

  app.get("/feeds/:file", (c) => serveFeedFile(c, { db, versions, feeds }, baseOf(c.req.url)));

  for (const path of ["/feeds/:file", "/feeds.opml"]) {
    app.options(path, feedPreflight);
    // after the GET routes, which answer GET and HEAD
    app.all(path, feedMethodNotAllowed);
  }

  app.get("/items/:id", async (c) => {
    const id = c.req.param("id");
    const item = ITEM_ID.test(id) ? await findItem(db, id) : null;
    if (!item) return c.text("Not found\n", 404);
    return c.html(itemPage(baseOf(c.req.url), item));
  });

  app.notFound((c) => c.text("Not found\n", 404));
  app.onError(answerError);

  answerCachedFirst(app, feeds, observer);
  const changed = (report: StoreReport) => {
    versions.invalidate();
    if (!hubUrl || !publicUrl) return;
    background(
      announceChanges(hubUrl, publicUrl, report.changedTags, true).then(({ failed }) => {
        for (const f of failed) console.error(`warning: websub ping for ${f.url} failed: ${f.detail}`);
      }),
    );
  };
  return { app, cachedAnswer: (method, url, headers) => feeds.cachedAnswer(method, url, headers), changed };
}

/** Tells `answered` of every answer the routes give: its route's pattern, status and time. */
function countAnswers(answered: NonNullable<PublishObserver["answered"]>): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    // the pattern of the last route the request matched (/feeds/:file), never its path: a bounded label; "*" alone is no route
    const route = routePath(c, -1);
    answered({
      method: c.req.method,
      route: route === "*" || route === "/*" ? "other" : route,
      status: c.res.status,
      seconds: (performance.now() - started) / 1000,
    });
  };
}

// a NUL, a control character or a lone surrogate in a query value is no search and no position: refused
// before any route takes it to the database, which cannot hold it (the admin API says so in its own form)
const refuseFaultyQueries: MiddlewareHandler = async (c, next) => {
  if (!c.req.url.includes("?") || c.req.path.startsWith("/api/")) return next();
  for (const [name, values] of Object.entries(c.req.queries())) {
    for (const value of values) {
      const fault = textFault(name) ?? textFault(value);
      if (fault) return c.text(`The query parameter ${logLine(JSON.stringify(name).slice(1, -1), 60)} ${fault}\n`, 400);
    }
  }
  return next();
};

/** Until the database may be used, a 503 for every answer that needs it; /readyz says why. */
function waitForDatabase(pending: () => PendingDatabase | null): MiddlewareHandler {
  return async (c, next) => {
    const outage = pending();
    if (!outage || NEEDS_NO_DATABASE.has(c.req.path)) return next();
    // a preflight and a 405 on a feed URL need no database either
    if (FEED_URL.test(c.req.path) && c.req.method !== "GET" && c.req.method !== "HEAD") return next();
    if (c.req.path === "/readyz") return c.text(`not ready: ${outage.reason}`, 503, { "Cache-Control": "no-store" });
    return unavailable(c, outage.code);
  };
}

function answerError(error: Error, c: Context): Response {
  // middleware (bearer auth, body limit) answers with an HTTPException of its own
  if (error instanceof HTTPException) return error.getResponse();
  const outage = outageCode(error);
  if (outage) return unavailable(c, outage);
  // one line: a driver's error would bring its statement and parameters, over many lines and raw
  console.error(`${c.req.method} ${logLine(c.req.url, 300)}: 500: ${logLine(rootMessage(error))}`);
  return c.text("Internal server error\n", 500);
}

/**
 * A feed served before, current in memory, is answered before routing: a synchronous Response the
 * Node adapter writes at once; its cached answer carries the headers the middleware would set.
 */
function answerCachedFirst(app: Hono, feeds: CachedFeeds, observer: PublishObserver | undefined): void {
  const route = app.fetch;
  app.fetch = (request, env, executionCtx) => {
    const started = observer?.answered ? performance.now() : 0;
    const answer = feeds.cachedAnswer(request.method, request.url, request.headers);
    if (!answer) return route(request, env, executionCtx);
    observer?.answered?.({ method: "GET", route: FEED_ROUTE, status: answer.init.status, seconds: (performance.now() - started) / 1000 });
    return new Response(answer.body, answer.init);
  };
}

interface FeedFileDeps {
  db: Database;
  versions: VersionBook;
  feeds: CachedFeeds;
}

/** GET /feeds/:file: a feed, or its page for people; a redirect where the name is spelt otherwise or the tag moved. */
async function serveFeedFile(c: Context, { db, versions, feeds }: FeedFileDeps, base: string): Promise<Response> {
  const file = c.req.param("file")!;
  // slugs are lower case: any other spelling is sent to the one URL caches and readers should keep (a renamed
  // tag's the same way, to its new name: one redirect, not two)
  const lowered = file.toLowerCase();
  const loweredSelector = file !== lowered ? parseSelector(lowered.replace(/\.[a-z]+$/, "")) : null;
  if (loweredSelector) return redirectToLowerCase(c, versions, loweredSelector, lowered, base);
  const dot = file.lastIndexOf(".");
  const selector = parseSelector(dot < 0 ? file : file.slice(0, dot));
  const format = dot < 0 ? null : FORMAT_OF_EXTENSION[file.slice(dot + 1)];
  if (!selector && (dot < 0 ? file : file.slice(0, dot)).split("+").length > MAX_UNION) {
    return c.text(`A union feed has at most ${MAX_UNION} tags\n`, 400);
  }
  if (!selector || format === undefined) return c.text("Not found\n", 404);
  // the feed of a renamed, merged or removed tag: asked before the route (which would wait for the database
  // again) where the snapshot does not know a slug, and after the route's 404, whose read may have just learnt it
  const elsewhere = async (afterNotFound: boolean) => {
    const moved = await movedFeed(versions, selector, afterNotFound);
    // for as long as a feed is cached: a tag removed may be named again, a renamed one renamed back
    if (moved === "gone") return c.text("This feed's tag was removed\n", 410, { "Cache-Control": MOVED_CACHE_CONTROL });
    if (!moved) return null;
    return c.body(null, 301, {
      Location: `${base}/feeds/${moved}${dot < 0 ? "" : file.slice(dot)}${new URL(c.req.url).search}`,
      "Cache-Control": MOVED_CACHE_CONTROL,
    });
  };
  const before = await elsewhere(false);
  if (before) return before;
  // a feed URL: the feed, but for a browser navigating to it, which gets the feed's page;
  // /feeds/TAG: the page for people, or a feed for a client that asks for one
  const wanted = feedOrPage(c.req.header("accept") ?? null, format);
  const answer =
    wanted === "html" ? await serveFeedPage(c, db, selector, format ?? "rss", base) : await serveFeed(c, feeds, selector, wanted, base, format !== null);
  return answer.status === 404 ? ((await elsewhere(true)) ?? answer) : answer;
}

/** A feed URL spelt with capitals, sent to its one spelling: lower case, a renamed tag's new name; a removed tag's 410. */
async function redirectToLowerCase(c: Context, versions: VersionBook, selector: Selector, lowered: string, base: string): Promise<Response> {
  const moved = await movedFeed(versions, selector, true);
  if (moved === "gone") return c.text("This feed's tag was removed\n", 410, { "Cache-Control": MOVED_CACHE_CONTROL });
  const target = moved ? `${moved}${lowered.includes(".") ? lowered.slice(lowered.lastIndexOf(".")) : ""}` : lowered;
  const location = `${base}/feeds/${encodeURIComponent(target).replace(/%2B/g, "+")}${new URL(c.req.url).search}`;
  return moved ? c.body(null, 301, { Location: location, "Cache-Control": MOVED_CACHE_CONTROL }) : c.redirect(location, 301);
}
