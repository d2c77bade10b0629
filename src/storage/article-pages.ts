/**
 * The article pages fetched for full text (pipeline/full-text): which of a
 * source's stories want theirs fetched, and what each fetch gave.
 */
import { and, asc, desc, eq, or, sql } from "drizzle-orm";
import type { Database } from "./database";
import { articlePages, items, sources } from "./schema";

/** A story whose article page is to be fetched, with what the last fetch of it left. */
export interface ArticleWanted {
  itemId: string;
  url: string;
  etag: string | null;
  lastModified: string | null;
  attempts: number;
}

/** Failed fetches are tried again after an hour, three times in all. */
const RETRY_AFTER = "1 hour";
const ATTEMPTS = 3;
/** A page read is asked again (with its validators) once a day while its source lists the story. */
const RECHECK_AFTER = "1 day";
/** Text shorter than this is a teaser, not the story: a feed entry that carries it wants its page. */
const TEASER_CHARS = 1_500;

/**
 * The stories the source lists now whose article page wants fetching, newest first, at most `limit`: those
 * never fetched (and only a teaser so far), then failures due another try, then pages due a check.
 */
export async function articlesWanted(db: Database, sourceId: number, limit: number): Promise<ArticleWanted[]> {
  const never = sql`${articlePages.url} is null`;
  const failed = sql`${articlePages.status} = 'failed'`;
  const rows = await db
    .select({ itemId: items.id, url: items.url, etag: articlePages.etag, lastModified: articlePages.lastModified, attempts: articlePages.attempts })
    .from(items)
    .leftJoin(articlePages, eq(articlePages.url, items.url))
    .where(
      and(
        sql`${items.id} in (select jsonb_array_elements_text(${sources.listing}) from ${sources} where ${sources.id} = ${sourceId})`,
        sql`${items.url} ~ '^https?://'`,
        or(
          and(never, or(eq(items.kind, "teaser"), sql`length(coalesce(${items.contentHtml}, '')) < ${TEASER_CHARS}`)),
          and(failed, sql`${articlePages.attempts} < ${ATTEMPTS}`, sql`${articlePages.fetchedAt} < now() - ${RETRY_AFTER}::interval`),
          and(sql`${articlePages.status} <> 'failed'`, sql`${articlePages.fetchedAt} < now() - ${RECHECK_AFTER}::interval`),
        ),
      ),
    )
    .orderBy(sql`${never} desc`, sql`coalesce(${failed}, false) desc`, desc(items.feedAt), asc(items.id))
    .limit(limit);
  return rows.map((r) => ({ itemId: r.itemId, url: r.url!, etag: r.etag, lastModified: r.lastModified, attempts: r.attempts ?? 0 }));
}

export type ArticleResult = { status: "ok"; etag: string | null; lastModified: string | null } | { status: "failed" | "refused"; error: string };

/** Records a fetch of `url` for the source; a failure or refusal also counts on the source, for `sources list`. */
export async function recordArticle(db: Database, sourceId: number, url: string, fetchedAt: Date, result: ArticleResult): Promise<void> {
  const ok = result.status === "ok";
  await db
    .insert(articlePages)
    .values({
      url,
      sourceId,
      status: result.status,
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
        // a 304 keeps the validators it was asked with
        etag: ok ? sql`coalesce(excluded.etag, ${articlePages.etag})` : articlePages.etag,
        lastModified: ok ? sql`coalesce(excluded.last_modified, ${articlePages.lastModified})` : articlePages.lastModified,
        fetchedAt,
        attempts: ok ? 1 : sql`${articlePages.attempts} + 1`,
        error: ok ? null : result.error,
      },
    });
  if (!ok) {
    await db
      .update(sources)
      .set({ extractFailures: sql`${sources.extractFailures} + 1`, lastExtractError: `${url}: ${result.error}` })
      .where(eq(sources.id, sourceId));
  }
}
