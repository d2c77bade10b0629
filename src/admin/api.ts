/**
 * The admin API: follow and drop feeds, post a page to ingest, manage tags
 * and their rules. Mounted only
 * when an admin token is configured; every request must carry it as a
 * bearer token, compared in constant time (hono/bearer-auth hashes both
 * sides and compares the digests). Bodies and query strings are checked by
 * schemas; every error is a problem details document (RFC 9457).
 */
import { zValidator } from "@hono/zod-validator";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
// a namespace import lets the bundler keep only the parts used; `import { z }` would put all of zod's locales into the Worker
import * as z from "zod";
import { sourceEntry, tagLabel } from "../input/feed/source-entry";
import { globalRules, topicSetting } from "../input/topic-settings";
import { PageFormatError } from "../input/page/parse";
import { issueLines } from "../input/schema-issues";
import { parseInstant } from "../normalise/instant";
import { isoSeconds } from "../normalise/item";
import { logLine, textFault } from "../normalise/text";
import { rootMessage } from "../storage/error-cause";
import type { LazyPageReader } from "../input/page-reader";
import { ingestPage } from "../pipeline/ingest-page";
import type { Database } from "../storage/database";
import type { StoreReport } from "../storage/store-document";
import { outageCode } from "../storage/outage";
import { addFeedSource, listFeedSources, readingOf, removeFeedSource, SourceExistsError, type FeedSource } from "../storage/sources";
import { changeTopics, mergeTags, removeTag, renameTag, TagNotFoundError, TopicChangeError, type TopicReport } from "../storage/topic-changes";
import { readDropRules, tagOverview } from "../storage/topics";
import { problem } from "./problem";

export interface AdminOptions {
  db: Database;
  token: string;
  /** Called after an ingestion changed something: feeds are rendered anew, the WebSub hub is told. */
  onChange?: (report: StoreReport) => void;
  maxPageBytes?: number;
  /**
   * Why a feed at this URL may not be followed (a private or local address
   * the configuration does not allow), or null. The Node server passes the
   * address policy's (AddressPolicy.followRefusal); without it, only fetching
   * checks addresses.
   */
  followRefusal?: (url: string) => Promise<string | null>;
  /** How a posted page is read: the portal's text pages alone unless the shell brings the HTML reader (input/page-document). */
  readPage?: LazyPageReader | undefined;
}

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

const dryRun = z.strictObject({ dry_run: z.enum(["true", "false", "1", "0"]).optional() });
const isDryRun = (query: { dry_run?: string | undefined }) => query.dry_run === "true" || query.dry_run === "1";

const WHERE = { json: "the request body", query: "the query string" } as const;

/** Where a value from outside holds text no database column can (a NUL, a lone surrogate), as `path: fault`. */
function textFaults(value: unknown, path = ""): string[] {
  if (typeof value === "string") {
    const fault = textFault(value);
    return fault ? [`${path || "value"}: ${fault}`] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => textFaults(v, `${path}[${i}]`));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => {
      const at = path ? `${path}.${k}` : k;
      const fault = textFault(k);
      return [...(fault ? [`${at}: the key ${fault}`] : []), ...textFaults(v, at)];
    });
  }
  return [];
}

/** A schema's verdict on one part of the request: a 400 listing everything wrong, else on to the handler. */
function checked<T extends z.ZodType, Target extends keyof typeof WHERE>(target: Target, schema: T) {
  // text a column cannot hold is refused first, whatever the schema would say of the rest
  const guarded = z.unknown().superRefine((value, ctx) => {
    for (const line of textFaults(value)) ctx.addIssue({ code: "custom", message: line });
  });
  return zValidator(target, guarded.pipe(schema) as unknown as T, (result) => {
    if (result.success) return;
    const errors = issueLines(result.error);
    return problem(400, `${WHERE[target]} is not what ${target === "json" ? "this endpoint takes" : "this endpoint understands"}: ${errors.join("; ")}`, {
      errors,
    });
  });
}

/** The methods each endpoint answers: any other is a 405 that says which (RFC 9110). */
const ALLOWED: [RegExp, string[]][] = [
  [/^\/sources$/, ["GET", "POST", "DELETE"]],
  [/^\/ingest$/, ["POST"]],
  [/^\/tags$/, ["GET"]],
  [/^\/tags\/[^/]+$/, ["PUT", "DELETE"]],
  [/^\/tags\/[^/]+\/(rename|merge)$/, ["POST"]],
  [/^\/rules$/, ["GET", "PUT"]],
];

/** A topic change as the API reports it. */
const topicView = (report: TopicReport, dry: boolean) => ({
  dry_run: dry,
  tags: report.tags.map((t) => ({ slug: t.slug, label: t.label, created: t.created, added: t.added, removed: t.removed })),
  dropped: report.dropped,
  restored: report.restored,
  changed_tags: report.changedTags,
});

const DETAILS: Record<number, string> = {
  401: "this API needs the admin token: Authorization: Bearer …",
  400: "the request could not be read",
};

// a body sent as a form (curl -d's default) would reach the schema as nothing at all: say what is wrong with it
const jsonBody: MiddlewareHandler = async (c, next) => {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(type)) {
    return problem(415, `the body must be JSON, sent with Content-Type: application/json${type ? ` (got ${type.split(";")[0]})` : ""}`);
  }
  await next();
};

export function adminApi({ db, token, onChange, maxPageBytes = 2 * 1024 * 1024, followRefusal, readPage }: AdminOptions): Hono {
  if (token.length < 16) throw new Error("FEEDWERK_ADMIN_TOKEN must be at least 16 characters");
  const api = new Hono();
  // an Authorization header that is no bearer token (empty, Basic, garbage) is an unauthenticated request:
  // 401 with the challenge, as for none at all (hono's bearer auth would answer 400)
  api.use("*", async (c, next) => {
    const given = c.req.header("authorization");
    if (given !== undefined && !/^Bearer +[A-Za-z0-9._~+/-]+=*$/i.test(given.trim())) {
      return problem(401, DETAILS[401]!, { headers: { "WWW-Authenticate": 'Bearer realm="feedwerk", error="invalid_request"' } });
    }
    return next();
  });
  api.use("*", bearerAuth({ token, realm: "feedwerk" }));
  api.use("*", async (c, next) => {
    for (const [name, values] of Object.entries(c.req.queries())) {
      for (const value of values) {
        const fault = textFault(name) ?? textFault(value);
        if (fault) return problem(400, `the query string's ${JSON.stringify(name).slice(0, 60)} ${fault}`);
      }
    }
    return next();
  });
  /** Feeds changed by a change of topics: rendered anew, the hub told (with "all" where any story's tags or visibility changed). */
  const changed = (changedTags: string[], anyChange = changedTags.length > 0) => {
    if (anyChange) onChange?.({ new: 0, updated: 0, unchanged: 0, retired: 0, outcomes: [], newTags: [], changedTags });
  };

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
        if (report.new || report.updated) onChange?.(report);
        return c.json({ new: report.new, updated: report.updated, unchanged: report.unchanged, changed_tags: report.changedTags });
      } catch (error) {
        if (error instanceof PageFormatError) return problem(422, `${name}:${error.line}: ${error.message}`);
        throw error;
      }
    },
  );

  api.get("/tags", async (c) => {
    const { tags, removed, drop } = await tagOverview(db);
    return c.json({ tags, removed, rules: { drop } });
  });

  const tagParam = (c: Context) => {
    const name = c.req.param("tag") ?? "";
    const checkedName = tagLabel.safeParse(name);
    return checkedName.success ? checkedName.data : null;
  };

  api.put("/tags/:tag", jsonBody, checked("json", topicSetting), checked("query", dryRun), async (c) => {
    const name = tagParam(c);
    if (!name) return problem(400, "a tag needs a letter or digit");
    const dry = isDryRun(c.req.valid("query"));
    const report = await changeTopics(db, { tags: { [name]: c.req.valid("json") } }, { dryRun: dry });
    if (!dry) changed(report.changedTags, report.anyChange);
    return c.json(topicView(report, dry), !dry && report.tags.some((t) => t.created) ? 201 : 200);
  });

  api.delete("/tags/:tag", async (c) => {
    const name = tagParam(c);
    if (!name) return problem(400, "a tag needs a letter or digit");
    const done = await removeTag(db, name);
    changed(done.changedTags);
    return c.json({ removed: done.slug, items: done.items, changed_tags: done.changedTags });
  });

  api.post("/tags/:tag/rename", jsonBody, checked("json", z.strictObject({ to: tagLabel })), async (c) => {
    const name = tagParam(c);
    if (!name) return problem(400, "a tag needs a letter or digit");
    const done = await renameTag(db, name, c.req.valid("json").to);
    changed(done.changedTags);
    return c.json({ from: done.from, to: done.to, items: done.items, changed_tags: done.changedTags });
  });

  api.post("/tags/:tag/merge", jsonBody, checked("json", z.strictObject({ into: tagLabel })), async (c) => {
    const name = tagParam(c);
    if (!name) return problem(400, "a tag needs a letter or digit");
    const done = await mergeTags(db, name, c.req.valid("json").into);
    changed(done.changedTags);
    return c.json({ from: done.from, into: done.into, items: done.items, kept: done.kept, changed_tags: done.changedTags });
  });

  api.get("/rules", async (c) => c.json({ drop: await readDropRules(db) }));

  api.put("/rules", jsonBody, checked("json", globalRules), checked("query", dryRun), async (c) => {
    const dry = isDryRun(c.req.valid("query"));
    const report = await changeTopics(db, { drop: c.req.valid("json").drop }, { dryRun: dry });
    if (!dry) changed(report.changedTags, report.anyChange);
    return c.json(topicView(report, dry));
  });

  api.all("*", (c) => {
    const path = new URL(c.req.url).pathname.replace(/^.*?\/api(?=\/|$)/, "");
    const allowed = ALLOWED.find(([pattern]) => pattern.test(path))?.[1];
    if (allowed) {
      const only = allowed.length === 1 ? `only ${allowed[0]} is` : `${allowed.join(", ")} are`;
      return problem(405, `${c.req.method} is not allowed here; ${only}`, { headers: { Allow: allowed.join(", ") } });
    }
    return problem(404, `no such admin endpoint: ${c.req.method} ${new URL(c.req.url).pathname}`);
  });

  // the middleware (bearer auth, the validator's JSON reader) throws HTTP exceptions of its own, in plain text
  api.onError((error, c: Context) => {
    if (error instanceof HTTPException) {
      const original = error.getResponse();
      const challenge = original.headers.get("www-authenticate");
      return problem(
        error.status,
        error.message || DETAILS[error.status] || original.statusText,
        challenge ? { headers: { "WWW-Authenticate": challenge } } : {},
      );
    }
    // the database is unreachable: a 503 to try again, never the driver's message (it may name hosts and users)
    const outage = outageCode(error);
    if (outage) {
      console.error(`${c.req.method} ${new URL(c.req.url).pathname}: 503, database unreachable (${outage})`);
      return problem(503, "the database is unreachable; try again shortly", { headers: { "Retry-After": "5", "Cache-Control": "no-store" } });
    }
    // a person's mistake about a tag (no such tag, a name taken) is theirs to correct
    if (error instanceof TagNotFoundError) return problem(404, error.message);
    if (error instanceof TopicChangeError) return problem(409, error.message);
    console.error(`${c.req.method} ${logLine(c.req.url, 300)}: 500: ${logLine(rootMessage(error))}`);
    return problem(500, "internal server error");
  });

  return api;
}

/** The SQLSTATE behind a driver error, which drizzle wraps in one of its own. */
function pgState(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === "object" && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}
