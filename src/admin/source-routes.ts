/** The admin API's sources of stories: the followed feeds (follow, list, drop) and a page posted to ingest. */
import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
// a namespace import lets the bundler keep only the parts used; `import { z }` would put all of zod's locales into the Worker
import * as z from "zod";
import { sourceEntry } from "../input/feed/source-entry";
import { PageFormatError } from "../input/page/parse";
import { parseInstant } from "../normalise/instant";
import { isoSeconds } from "../normalise/item";
import { logLine } from "../normalise/text";
import type { Database } from "../storage/database";
import { rootMessage } from "../storage/error-cause";
import { indexQueued } from "../storage/search-index";
import { ingestPage } from "../pipeline/ingest-page";
import { addFeedSource, listFeedSources, readingOf, removeFeedSource, SourceExistsError, type FeedSource } from "../storage/sources";
import type { AdminOptions } from "./options";
import { problem } from "./problem";
import { checked, jsonBody } from "./request-checks";

const view = (s: FeedSource) => ({
  name: s.name,
  url: s.url,
  title: s.title,
  tags: s.tags,
  last_fetch_at: s.lastFetchAt ? isoSeconds(s.lastFetchAt) : null,
  last_status: s.lastStatus,
  error_count: s.errorCount,
  last_error: s.lastError,
  parse_warning: s.parseWarning,
  next_poll_at: s.nextPollAt ? isoSeconds(s.nextPollAt) : null,
  read_as: s.readAs ?? "feed",
  select: s.select,
  full_text: s.fullText,
  article_failures: s.extractFailures,
  last_article_error: s.lastExtractError,
});

const removal = z
  .strictObject({ url: z.string().min(1).optional(), name: z.string().min(1).optional() })
  .refine((q) => Boolean(q.url) !== Boolean(q.name), { error: "name the source with either ?url= or ?name=" });

const ingestion = z.strictObject({
  fetched_at: z
    .string()
    .transform((text, ctx) => {
      const instant = parseInstant(text);
      if (instant) return instant;
      ctx.addIssue({ code: "custom", message: "must be an ISO 8601 time with a zone, like 2025-12-09T13:00:00Z" });
      return z.NEVER;
    })
    .optional(),
  name: z.string().min(1).max(200).optional(),
});

/** GET, POST and DELETE /sources, and POST /ingest. */
export function addSourceRoutes(
  api: Hono,
  { db, onChange, maxPageBytes, followRefusal, readPage }: Omit<AdminOptions, "token" | "maxPageBytes"> & { maxPageBytes: number },
): void {
  api.get("/sources", async (c) => c.json({ sources: (await listFeedSources(db)).map(view) }));

  api.post("/sources", jsonBody, checked("json", sourceEntry), async (c) => {
    const entry = c.req.valid("json");
    const refused = await followRefusal?.(entry.url);
    if (refused) return problem(422, `${entry.url}: ${refused}`);
    try {
      const source = await addFeedSource(db, { url: entry.url, name: entry.name, tags: entry.tags ?? [], ...readingOf(entry) });
      return c.json(view(source), 201);
    } catch (error) {
      // two requests adding the same feed at once: the second meets the unique index
      if (error instanceof SourceExistsError || pgState(error) === "23505")
        return problem(409, error instanceof SourceExistsError ? error.message : "this feed is followed already");
      throw error;
    }
  });

  api.delete("/sources", checked("query", removal), async (c) => {
    const { url, name } = c.req.valid("query");
    const key = (url ?? name)!;
    const removed = await removeFeedSource(db, key);
    if (!removed) return problem(404, `no followed feed '${key}'`);
    // the items other sources show lost this feed's tags: their feeds changed
    if (removed.changedTags.length) onChange?.({ new: 0, updated: 0, unchanged: 0, retired: 0, outcomes: [], newTags: [], changedTags: removed.changedTags });
    return c.body(null, 204);
  });

  api.post(
    "/ingest",
    bodyLimit({ maxSize: maxPageBytes, onError: () => problem(413, `a page may have at most ${maxPageBytes} bytes`) }),
    checked("query", ingestion),
    async (c) => {
      const query = c.req.valid("query");
      const name = query.name ?? "posted page";
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      try {
        const report = await ingestPage(db, { name, bytes, fetchedAt: query.fetched_at ?? new Date() }, readPage);
        // indexed for search before answering, so that ?q= finds what was posted at once, unless another indexer
        // holds it at that moment (it then indexes it) or the database will not now: then it stays queued for the
        // next indexer (a server's every second, a poller's pass); the ingestion itself has committed either way
        const changed = report.new + report.updated > 0;
        const searchIndexed = !changed || (await indexNow(db, name));
        if (changed) onChange?.(report);
        return c.json({
          new: report.new,
          updated: report.updated,
          unchanged: report.unchanged,
          changed_tags: report.changedTags,
          search_indexed: searchIndexed,
        });
      } catch (error) {
        if (error instanceof PageFormatError) return problem(422, `${name}:${error.line}: ${error.message}`);
        throw error;
      }
    },
  );
}

/** Indexes what is queued; false, said on the server's log, when the database will not now (the stories stay queued). */
async function indexNow(db: Database, name: string): Promise<boolean> {
  try {
    await indexQueued(db);
    return true;
  } catch (error) {
    console.error(
      `POST /api/ingest: ${logLine(name)}: stored, not yet indexed for search (${logLine(rootMessage(error))}): it stays queued for the next indexer`,
    );
    return false;
  }
}

/** The SQLSTATE behind a driver error, which drizzle wraps in one of its own. */
function pgState(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === "object" && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}
