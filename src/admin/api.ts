/**
 * The admin API: follow and drop feeds, post a page to ingest. Mounted only
 * when an admin token is configured; every request must carry it as a
 * bearer token, compared in constant time (hono/bearer-auth hashes both
 * sides and compares the digests).
 */
import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { bodyLimit } from "hono/body-limit";
import { followableUrl } from "../input/feed/followable-url";
import { PageFormatError } from "../input/page/parse";
import { isoSeconds } from "../normalise/item";
import { ingestPage } from "../pipeline/ingest-page";
import type { Database } from "../storage/database";
import type { StoreReport } from "../storage/store-document";
import { addFeedSource, listFeedSources, removeFeedSource, type FeedSource } from "../storage/sources";

export interface AdminOptions {
  db: Database;
  token: string;
  /** Called after an ingestion changed something: feeds are rendered anew, the WebSub hub is told. */
  onChange?: (report: StoreReport) => void;
  maxPageBytes?: number;
}

const view = (s: FeedSource) => ({
  name: s.name,
  url: s.url,
  tags: s.tags,
  last_fetch_at: s.lastFetchAt ? isoSeconds(s.lastFetchAt) : null,
  last_status: s.lastStatus,
  error_count: s.errorCount,
  last_error: s.lastError,
  next_poll_at: s.nextPollAt ? isoSeconds(s.nextPollAt) : null,
});

export function adminApi({ db, token, onChange, maxPageBytes = 2 * 1024 * 1024 }: AdminOptions): Hono {
  if (token.length < 16) throw new Error("FEEDWERK_ADMIN_TOKEN must be at least 16 characters");
  const api = new Hono();
  api.use("*", bearerAuth({ token }));

  api.get("/sources", async (c) => c.json({ sources: (await listFeedSources(db)).map(view) }));

  api.post("/sources", async (c) => {
    const body = (await c.req.json().catch(() => null)) as { url?: unknown; name?: unknown; tags?: unknown } | null;
    if (!body || typeof body.url !== "string") return c.json({ error: "expected {\"url\": \"https://…\", \"name\"?: …, \"tags\"?: […]}" }, 400);
    let url: string;
    try {
      url = followableUrl(body.url);
    } catch (error) {
      return c.json({ error: (error as Error).message }, 400);
    }
    const tags = Array.isArray(body.tags) ? body.tags.filter((t): t is string => typeof t === "string") : [];
    try {
      const source = await addFeedSource(db, { url, name: typeof body.name === "string" ? body.name : undefined, tags });
      return c.json(view(source), 201);
    } catch (error) {
      return c.json({ error: (error as Error).message }, 409);
    }
  });

  api.delete("/sources", async (c) => {
    const key = c.req.query("url") ?? c.req.query("name");
    if (!key) return c.json({ error: "name the source with ?url= or ?name=" }, 400);
    const removed = await removeFeedSource(db, key);
    if (!removed) return c.json({ error: `no followed feed '${key}'` }, 404);
    // the items other sources show lost this feed's tags: their feeds changed
    if (removed.changedTags.length) onChange?.({ new: 0, updated: 0, unchanged: 0, outcomes: [], newTags: [], changedTags: removed.changedTags });
    return c.body(null, 204);
  });

  api.post("/ingest", bodyLimit({ maxSize: maxPageBytes, onError: (c) => c.json({ error: `a page may have at most ${maxPageBytes} bytes` }, 413) }), async (c) => {
    const raw = c.req.query("fetched_at");
    const fetchedAt = raw ? new Date(raw) : new Date();
    if (raw && (!/(Z|[+-]\d{2}:?\d{2})$/i.test(raw) || Number.isNaN(fetchedAt.getTime()))) {
      return c.json({ error: "fetched_at must be an ISO 8601 time with a zone" }, 400);
    }
    const name = c.req.query("name") ?? "posted page";
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    try {
      const report = await ingestPage(db, { name, bytes, fetchedAt });
      if (report.new || report.updated) onChange?.(report);
      return c.json({ new: report.new, updated: report.updated, unchanged: report.unchanged, changed_tags: report.changedTags });
    } catch (error) {
      if (error instanceof PageFormatError) return c.json({ error: `${name}:${error.line}: ${error.message}` }, 422);
      throw error;
    }
  });

  return api;
}
