/**
 * What a feed URL (/feeds/…, /feeds.opml) answers to methods other than GET
 * and HEAD. Feeds are read, never written: POST and the rest are a 405 that
 * says which methods there are, not a 404 that says there is no such
 * resource. OPTIONS is a CORS preflight: a script on another origin that
 * revalidates with If-None-Match or If-Modified-Since of its own sends one
 * first (those are not safelisted request headers), and the browser lets it
 * read the feed only if this answer allows them. Both answers need no
 * database, so they are answered whatever it does.
 */
import type { Context } from "hono";

const ALLOW = "GET, HEAD, OPTIONS";

/** How long a browser may keep the preflight's answer: a day (Chromium keeps it two hours at most). */
const PREFLIGHT_MAX_AGE_SECONDS = 86_400;

/** The answer to OPTIONS on a feed URL: 204 with the methods and request headers a reader's script may use. */
export function feedPreflight(c: Context): Response {
  return c.body(null, 204, {
    Allow: ALLOW,
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD",
    "Access-Control-Allow-Headers": "If-None-Match, If-Modified-Since",
    "Access-Control-Max-Age": String(PREFLIGHT_MAX_AGE_SECONDS),
  });
}

/** The answer to any other method than GET, HEAD and OPTIONS on a feed URL. */
export function feedMethodNotAllowed(c: Context): Response {
  return c.text(`${c.req.method} is not allowed here: feeds are read with GET or HEAD\n`, 405, { Allow: ALLOW });
}
