/**
 * Full text: for a source followed with `--full-text`, the article page of
 * each story it lists that carries only a teaser is fetched once, read
 * (input/html/article) and stored as a document of its own under the
 * article's site, on the story's item: the article observation outranks the
 * teaser (normalise/merge). A page is claimed before it is fetched, so
 * that two sources or two pollers showing one story fetch it once. Politely:
 * robots.txt is honoured (its Crawl-delay too), fetches to one host are
 * spaced, a pass spends at most a few pages and a minute on a source, and a
 * page fetched is asked again only with its validators, once a day while its
 * story is new. A page that cannot be read, that is another page than the
 * story's (a redirect or canonical address elsewhere), or that holds less
 * text than the story has leaves the story as it is; failures are counted on
 * the source (`sources list`).
 */
import robotsParser from "robots-parser";
import { printableReason } from "../input/feed/errors";
import type { FeedReader } from "../input/feed/reader";
import type { FeedSource } from "../storage/sources";
import { guidFor } from "../normalise/identity";
import { articlesWanted, claimArticle, recordArticle, releaseArticle, type ArticleWanted } from "../storage/article-pages";
import type { Database } from "../storage/database";
import { rootMessage } from "../storage/error-cause";
import type { Stored, Storing } from "../storage/store-document";
import type { Fetcher } from "./fetcher";

export interface FullTextOptions {
  /** Article pages fetched per source and pass, at most (default 10): the rest wait for the next pass. */
  perPass?: number;
  /** Time between two fetches from one host (default 1 s); a robots.txt Crawl-delay that asks more, up to 30 s, wins. */
  spacingMs?: number;
  /** The user agent robots.txt rules are read for. */
  userAgent?: string;
}

export interface FullTextReport {
  fetched: number;
  notModified: number;
  failed: number;
  refused: number;
  /** Why the source's article fetching stopped short (the database), if it did. */
  error?: string;
}

/** How long a host's robots.txt is believed, and how many hosts' rules are kept (the oldest go first). */
const ROBOTS_TTL_MS = 24 * 3_600_000;
const ROBOTS_KEPT = 1_000;
const MAX_CRAWL_DELAY_MS = 30_000;
/**
 * How long one source's article pages may take in a pass: the worker fetching them holds no lease (the source's
 * own fetch is recorded), but the sources claimed after it wait for a worker, and their leases run meanwhile.
 */
const BUDGET_MS = 60_000;

interface Robots {
  /** Null where the host's rules are not known now (its server failed): its pages are tried again later (why). */
  allowed(url: string): boolean | null;
  why: string;
  delayMs: number;
  until: number;
}

/** Article fetching for one process: its robots.txt cache and each host's next free moment outlive a pass. */
export class ArticleFetching {
  private readonly robots = new Map<string, Promise<Robots>>();
  private readonly nextAt = new Map<string, number>();
  private readonly perPass: number;
  private readonly spacingMs: number;
  private readonly agent: string;

  constructor(
    private readonly fetcher: Fetcher,
    options: FullTextOptions = {},
  ) {
    this.perPass = options.perPass ?? 10;
    this.spacingMs = options.spacingMs ?? 1_000;
    this.agent = options.userAgent ?? "feedwerk";
  }

  /**
   * Fetches the article pages the source wants, one after another; `store` stores each with the pass's
   * other documents. Stops early, storing nothing more, when `signal` aborts.
   */
  async fetchFor(
    db: Database,
    source: FeedSource,
    read: FeedReader,
    store: (storing: Storing) => Promise<Stored | null>,
    signal?: AbortSignal,
  ): Promise<FullTextReport> {
    const report: FullTextReport = { fetched: 0, notModified: 0, failed: 0, refused: 0 };
    const until = Date.now() + BUDGET_MS;
    for (const wanted of await articlesWanted(db, source.id, this.perPass)) {
      if (signal?.aborted || Date.now() > until) break;
      // another source or poller fetching the same page now, or done with it since the list was read
      if (!(await claimArticle(db, source.id, wanted.url))) continue;
      const robots = await this.robotsOf(wanted.url, signal);
      if (signal?.aborted) {
        await releaseArticle(db, wanted.url);
        break;
      }
      const allowed = robots.allowed(wanted.url);
      if (allowed !== true) {
        const result =
          allowed === false ? ({ status: "refused", error: "robots.txt disallows it" } as const) : ({ status: "failed", error: robots.why } as const);
        await recordArticle(db, source.id, wanted.url, new Date(), result);
        report[result.status]++;
        continue;
      }
      await this.turn(wanted.url, robots.delayMs, signal);
      const fetchedAt = new Date();
      try {
        const outcome = await this.readOne(db, source, wanted, read, store, fetchedAt, signal);
        if (outcome === null) {
          await releaseArticle(db, wanted.url);
          break;
        }
        report[outcome]++;
      } catch (error) {
        if (signal?.aborted) {
          await releaseArticle(db, wanted.url);
          break;
        }
        await recordArticle(db, source.id, wanted.url, fetchedAt, { status: "failed", error: printableReason(rootMessage(error), 500) });
        report.failed++;
      }
    }
    return report;
  }

  /** One article page fetched and stored with its record; null when the pass stopped before it was stored. */
  private async readOne(
    db: Database,
    source: FeedSource,
    wanted: ArticleWanted,
    read: FeedReader,
    store: (storing: Storing) => Promise<Stored | null>,
    fetchedAt: Date,
    signal?: AbortSignal,
  ): Promise<"fetched" | "notModified" | null> {
    const out = await this.fetcher.fetch(wanted.url, { etag: wanted.etag, lastModified: wanted.lastModified }, signal);
    const unchanged = { status: "ok", etag: null, lastModified: null, sha256: null } as const;
    if (out.status === "not-modified") {
      await recordArticle(db, source.id, wanted.url, fetchedAt, unchanged);
      return "notModified";
    }
    const page = await read({ bytes: out.bytes, contentType: out.contentType, namespace: source.name, url: out.url, fetchedAt, readAs: "article" });
    const article = page.entries?.items[0];
    if (!article) throw new Error("no article found");
    // a redirect or a canonical address elsewhere (a home page, a login): another page than the story's
    const elsewhere = [out.url, article.url].find((u) => u && !sameArticle(u, wanted.url));
    if (elsewhere) throw new Error(`not the story's page: it is ${elsewhere}`);
    // the same page as before, or, read for the first time, less than the story holds already (a feed entry's own
    // text, a paywall's first lines): nothing to store
    if (page.sha256 === wanted.sha256 || (wanted.sha256 === null && plainLength(article.contentHtml) <= wanted.textChars)) {
      await recordArticle(db, source.id, wanted.url, fetchedAt, { ...unchanged, etag: out.etag, lastModified: out.lastModified, sha256: page.sha256 });
      return "notModified";
    }
    // the story the teaser or entry is, at the address it is known by
    const item = { ...article, id: wanted.itemId, guid: guidFor(wanted.itemId), url: wanted.url };
    const stored = await store({
      doc: {
        source: { kind: "page", name: new URL(wanted.url).hostname },
        name: out.url,
        sha256: page.sha256,
        fetchedAt,
        items: [item],
        tagOrigin: "feed",
      },
      alongside: (tx) =>
        recordArticle(tx, source.id, wanted.url, fetchedAt, { status: "ok", etag: out.etag, lastModified: out.lastModified, sha256: page.sha256 }),
    });
    if (stored && "error" in stored) throw stored.error;
    return stored ? "fetched" : null;
  }

  /** Waits for the host's next free moment, and books the one after. */
  private async turn(url: string, delayMs: number, signal?: AbortSignal): Promise<void> {
    const host = new URL(url).host;
    const now = Date.now();
    const at = Math.max(now, this.nextAt.get(host) ?? 0);
    this.nextAt.set(host, at + Math.max(this.spacingMs, delayMs));
    if (at > now) await sleep(at - now, signal);
  }

  /** The host's robots.txt rules: none found (4xx) allow everything; a server that fails (5xx, no answer) allows nothing this time. */
  private robotsOf(url: string, signal?: AbortSignal): Promise<Robots> {
    const origin = new URL(url).origin;
    const known = this.robots.get(origin);
    if (known) {
      return known.then((r) => {
        if (r.until > Date.now()) return r;
        this.robots.delete(origin);
        return this.robotsOf(url, signal);
      });
    }
    const robotsUrl = `${origin}/robots.txt`;
    // the oldest host's rules go when too many are kept (a Map keeps its insertion order); so do past turns
    if (this.robots.size >= ROBOTS_KEPT) this.robots.delete(this.robots.keys().next().value!);
    const now = Date.now();
    for (const [host, at] of this.nextAt) if (at < now) this.nextAt.delete(host);
    const loading = this.fetcher.fetch(robotsUrl, {}, signal).then(
      (out): Robots => {
        const rules = robotsParser(robotsUrl, out.status === "ok" ? new TextDecoder().decode(out.bytes.subarray(0, 512 * 1024)) : "");
        const delay = rules.getCrawlDelay(this.agent);
        return {
          allowed: (u) => rules.isAllowed(u, this.agent) !== false,
          why: "",
          delayMs: delay ? Math.min(delay * 1000, MAX_CRAWL_DELAY_MS) : 0,
          until: Date.now() + ROBOTS_TTL_MS,
        };
      },
      (error: unknown): Robots => {
        const status = (error as { httpStatus?: number | null }).httpStatus ?? null;
        // no robots.txt at all (404, 410, …): every page may be fetched. A server that fails or asks to be left alone
        // (5xx, 429, no answer) and an address the policy refuses: nothing is fetched, and tried again in a while
        if (status !== null && status >= 400 && status < 500 && status !== 429)
          return { allowed: () => true, why: "", delayMs: 0, until: Date.now() + ROBOTS_TTL_MS };
        const why = `robots.txt could not be read: ${printableReason(rootMessage(error), 300)}`;
        return { allowed: () => null, why, delayMs: 0, until: Date.now() + 10 * 60_000 };
      },
    );
    this.robots.set(origin, loading);
    return loading;
  }
}

/**
 * Whether `url` may be the story's page: on the story's site (www. aside), and not the site's home page. Paths may
 * differ (a slug renamed, an id moved): a login or error page on the site is told by what it says (no article).
 */
function sameArticle(url: string, story: string): boolean {
  try {
    const a = new URL(url);
    const b = new URL(story);
    return a.hostname.replace(/^www\./, "") === b.hostname.replace(/^www\./, "") && a.pathname.replace(/\/+$/, "") !== "";
  } catch {
    return false;
  }
}

/** The length of an HTML text's words, tags aside: enough to compare two texts' size. */
function plainLength(html: string | null): number {
  return html ? html.replace(/<[^>]*>/g, "").length : 0;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** A pass's article fetches for one source, as `fetch` prints them: "3 articles read, 1 unchanged, 1 failed". */
export function fullTextLine(r: FullTextReport): string {
  const parts = [`${r.fetched} ${r.fetched === 1 ? "article" : "articles"} read`];
  if (r.notModified) parts.push(`${r.notModified} unchanged`);
  if (r.failed) parts.push(`${r.failed} failed (sources list says why)`);
  if (r.refused) parts.push(`${r.refused} refused by robots.txt`);
  if (r.error) parts.push(`stopped: ${r.error}`);
  return parts.join(", ");
}
