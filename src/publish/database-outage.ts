/**
 * What a database outage looks like to the app, and how it answers one: a
 * query that cannot reach PostgreSQL, or does not answer in time, is a 503
 * with Retry-After, never a 500, and tells the client nothing of the
 * driver's message (which may name hosts and users).
 */
import type { Context, MiddlewareHandler } from "hono";
import { DatabaseTimeout } from "../storage/outage";
import { FEED_CORS_HEADERS } from "./security-headers";

/** Seconds a client is asked to wait before trying again. */
const RETRY_AFTER_SECONDS = 5;

/** `task`, or a DatabaseTimeout once `ms` have passed; the timer does not hold the process open. */
export function withinDeadline<T>(task: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseTimeout(ms)), ms);
    (timer as { unref?: () => void }).unref?.();
  });
  return Promise.race([task, deadline]).finally(() => clearTimeout(timer));
}

/** The answer to a request that needed the database while it is unreachable. */
export function unavailable(c: Context, code: string): Response {
  const path = new URL(c.req.url).pathname;
  // a reader's script on another origin may read a feed's 503, and its Retry-After
  const cors = /^\/feeds(\/|\.opml$)/.test(path) ? { ...FEED_CORS_HEADERS, "Access-Control-Expose-Headers": "Retry-After" } : {};
  const headers = { "Retry-After": String(RETRY_AFTER_SECONDS), "Cache-Control": "no-store", ...cors };
  const message = "the database is unreachable; try again shortly";
  console.error(`${c.req.method} ${path}: 503, database unreachable (${code})`);
  if (path.startsWith("/api/")) return c.json({ error: message }, 503, headers);
  return c.text(`Service unavailable: ${message}\n`, 503, headers);
}

/**
 * Bounds how long a read request may wait on the database: past `ms` it is
 * answered with a 503 (its queries finish or fail on their own, unawaited).
 * Writes are left alone: an ingestion cut short would still commit. Paths
 * matching `exempt` bound their own waiting (feeds, which fall back to a
 * stale copy first).
 */
export function requestDeadline(ms: number, exempt: RegExp): MiddlewareHandler {
  return async (c, next) => {
    if ((c.req.method !== "GET" && c.req.method !== "HEAD") || exempt.test(c.req.path)) return next();
    await withinDeadline(next(), ms);
  };
}
