/**
 * The article pages fetched for full text (pipeline/full-text): which of a
 * source's stories want theirs fetched, the claim a poller takes on a page
 * before it fetches it (so that two sources, or two pollers, showing one
 * story fetch its page once), and what each fetch gave.
 */
import { and, asc, desc, eq, or, type SQL, sql } from "drizzle-orm";
import type { Database } from "./database";
import { articlePages, items, sources } from "./schema";

/** A story whose article page is to be fetched, with what the last fetch of it left. */
export interface ArticleWanted {
  itemId: string;
  url: string;
  etag: string | null;
  lastModified: string | null;
  /** Hex SHA-256 of the page read last, if any: the same page again is not stored again. */
  sha256: string | null;
  /** How much text the story holds now: a page with less is not the story's full text. */
  textChars: number;
}

/** Failed fetches are tried again after an hour, three times in all. */
const RETRY_AFTER = "1 hour";
const ATTEMPTS = 3;
/** A page read is asked again (with its validators) once a day, while its story is at most three days old and listed. */
const RECHECK_AFTER = "1 day";
const RECHECK_WHILE = "3 days";
/** A poller's claim on a page it fetches: one older than this is a poller that died. */
const CLAIM_FOR = "10 minutes";
/** Text shorter than this is a teaser, not the story: a feed entry that carries it wants its page. */
const TEASER_CHARS = 1_500;

/** Whether a page of `articlePages` (null: never fetched) is due a fetch, as the stories' query and the claim both ask. */
function due(never: SQL): SQL {
  return or(
    never,
    and(sql`${articlePages.status} = 'failed'`, sql`${articlePages.attempts} < ${ATTEMPTS}`, sql`${articlePages.fetchedAt} < now() - ${RETRY_AFTER}::interval`),
    and(sql`${articlePages.status} in ('ok', 'refused')`, sql`${articlePages.fetchedAt} < now() - ${RECHECK_AFTER}::interval`),
    and(sql`${articlePages.status} = 'pending'`, sql`${articlePages.fetchedAt} < now() - ${CLAIM_FOR}::interval`),
  )!;
}

/**
 * The stories the source lists now whose article page wants fetching, newest first, at most `limit`: those
 * never fetched (and only a teaser so far), then failures due another try, then pages due a check.
 */
export async function articlesWanted(db: Database, sourceId: number, limit: number): Promise<ArticleWanted[]> {
  const never = sql`${articlePages.url} is null`;
  // the story's text without its markup, as the page's is measured (full-text plainLength)
  const textChars = sql<number>`length(regexp_replace(coalesce(${items.contentHtml}, ${items.summary}), '<[^>]*>', '', 'g'))`;
  const rows = await db
    .select({
      itemId: items.id,
      url: items.url,
      etag: articlePages.etag,
      lastModified: articlePages.lastModified,
      sha256: articlePages.sha256,
      textChars,
    })
    .from(items)
    .leftJoin(articlePages, eq(articlePages.url, items.url))
    .where(
      and(
        sql`${items.id} in (select jsonb_array_elements_text(${sources.listing}) from ${sources} where ${sources.id} = ${sourceId})`,
        sql`${items.url} ~ '^https?://'`,
        // a page never fetched only for a story that is a teaser so far; checked again only while the story is new
        or(and(never, or(eq(items.kind, "teaser"), sql`${textChars} < ${TEASER_CHARS}`)), and(sql`not (${never})`, due(sql`false`))),
        or(never, sql`${articlePages.status} <> 'ok'`, sql`${items.firstSeenAt} > now() - ${RECHECK_WHILE}::interval`),
      ),
    )
    .orderBy(sql`${never} desc`, sql`coalesce(${articlePages.status} = 'failed', false) desc`, desc(items.feedAt), asc(items.id))
    .limit(limit);
  return rows.map((r) => ({ ...r, url: r.url!, textChars: Number(r.textChars) }));
}

/**
 * Claims the page for this fetch: true when it was due and no other poller (or source) holds it. The claim
 * ends with the page's record (recordArticle), or, for a poller that died, after ten minutes.
 */
export async function claimArticle(db: Database, sourceId: number, url: string): Promise<boolean> {
  const claimed = await db
    .insert(articlePages)
    .values({ url, sourceId, status: "pending", fetchedAt: sql`now()`, attempts: 0 })
    .onConflictDoUpdate({ target: articlePages.url, set: { status: "pending", fetchedAt: sql`now()` }, setWhere: due(sql`false`) })
    .returning({ url: articlePages.url });
  return claimed.length > 0;
}

/** Gives back a claim a stopped poller did not finish: another may fetch the page at once, not in ten minutes. */
export async function releaseArticle(db: Database, url: string): Promise<void> {
  await db
    .update(articlePages)
    .set({ fetchedAt: sql`now() - ${CLAIM_FOR}::interval - interval '1 second'` })
    .where(and(eq(articlePages.url, url), eq(articlePages.status, "pending")));
}

export type ArticleResult =
  | { status: "ok"; etag: string | null; lastModified: string | null; sha256: string | null }
  | { status: "failed" | "refused"; error: string };

/**
 * Records a fetch of `url` for the source, ending its claim; a failure also counts on the source, for `sources
 * list` (a page robots.txt keeps out is no failure: the site said so, and `fetch` counts it apart).
 */
export async function recordArticle(db: Database, sourceId: number, url: string, fetchedAt: Date, result: ArticleResult): Promise<void> {
  const ok = result.status === "ok";
  await db
    .insert(articlePages)
    .values({
      url,
      sourceId,
      status: result.status,
      sha256: ok ? result.sha256 : null,
      etag: ok ? result.etag : null,
      lastModified: ok ? result.lastModified : null,
      fetchedAt,
      attempts: 1,
      error: ok ? null : result.error,
    })
    .onConflictDoUpdate({
      target: articlePages.url,
      set: {
        status: result.status,
        // a 304 keeps the validators and the hash it was asked with
        sha256: ok ? sql`coalesce(excluded.sha256, ${articlePages.sha256})` : articlePages.sha256,
        etag: ok ? sql`coalesce(excluded.etag, ${articlePages.etag})` : articlePages.etag,
        lastModified: ok ? sql`coalesce(excluded.last_modified, ${articlePages.lastModified})` : articlePages.lastModified,
        fetchedAt,
        attempts: ok ? 1 : sql`${articlePages.attempts} + 1`,
        error: ok ? null : result.error,
      },
    });
  if (result.status === "failed") {
    await db
      .update(sources)
      .set({ extractFailures: sql`${sources.extractFailures} + 1`, lastExtractError: `${url}: ${result.error}` })
      .where(eq(sources.id, sourceId));
  }
}
