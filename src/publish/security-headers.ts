/**
 * The security headers of each kind of answer, and the middleware that
 * gives them to the answers the app's routes make.
 *
 * An HTML page, and every other answer that is not a feed document (texts,
 * problem details, the favicon, the admin API), carries the full set that
 * Hono's secureHeaders middleware sets with feedwerk's policy.
 *
 * A feed document (RSS, Atom, JSON Feed, OPML) is read by programs: a
 * browser navigating to a feed URL gets the feed's page instead
 * (wantsBrowserView). Of the full set it keeps what stops a browser from
 * treating the document's quoted outside text as active content, should it
 * get hold of it anyway (a page loading it as a script, a window opened on
 * it with another Accept):
 * - X-Content-Type-Options: nosniff: never sniffed into HTML or script;
 * - Content-Security-Policy: default-src 'none'; frame-ancestors 'none';
 *   sandbox: rendered after all (an XHTML element in an Atom entry runs in
 *   a rendered XML document), it loads nothing, runs nothing, has an origin
 *   of its own and is framed by no page; frame-ancestors says what
 *   X-Frame-Options says, to every browser in use;
 * - Strict-Transport-Security: a browser learns it for the whole host from
 *   any answer over HTTPS, a feed fetched by a web-based reader included;
 * and adds Access-Control-Allow-Origin: *: feeds are public and carry no
 * cookies, and web-based readers (JSON Feed's clients foremost) read them
 * from other origins; Access-Control-Expose-Headers: ETag lets such a
 * reader's script see the ETag it revalidates with (Last-Modified is
 * exposed to scripts anyway; the preflight is in feed-methods.ts). A CORS
 * answer needs no Cross-Origin-Resource-Policy.
 * Left out, as they only act on a document a browser shows as a page:
 * Cross-Origin-Opener-Policy, Origin-Agent-Cluster, Referrer-Policy (a
 * sandboxed feed loads nothing), X-DNS-Prefetch-Control, X-Frame-Options,
 * X-XSS-Protection (switches off the HTML filter of old browsers),
 * X-Download-Options (Internet Explorer's opening of downloaded HTML) and
 * X-Permitted-Cross-Domain-Policies (Flash and Acrobat policy files).
 *
 * A 304 carries none: the client keeps the headers of the answer it stored
 * and updates only those the 304 brings (RFC 9111, 4.3.4), so repeating
 * them protects nothing. Fewer fields is speed on the hot path: Node checks
 * and writes each field of every answer.
 */
import type { MiddlewareHandler } from "hono";

/** The full set, for pages and every answer that is not a feed document. */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  // no scripts at all; forms (the search) submit to this origin only
  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "cross-origin",
  "Origin-Agent-Cluster": "?1",
  "Referrer-Policy": "no-referrer",
  "Strict-Transport-Security": "max-age=15552000; includeSubDomains",
  "X-Content-Type-Options": "nosniff",
  "X-DNS-Prefetch-Control": "off",
  "X-Download-Options": "noopen",
  "X-Frame-Options": "SAMEORIGIN",
  "X-Permitted-Cross-Domain-Policies": "none",
  "X-XSS-Protection": "0",
};

/**
 * A feed's 304s too: a web reader that revalidates with If-None-Match of its
 * own reads the 304 across origins, and the CORS check is made on it.
 */
export const FEED_CORS_HEADERS: Readonly<Record<string, string>> = { "Access-Control-Allow-Origin": "*" };

/** A feed document's, with its 200s (its 304s carry FEED_CORS_HEADERS alone). */
export const FEED_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; sandbox",
  "X-Content-Type-Options": "nosniff",
  "Strict-Transport-Security": PAGE_SECURITY_HEADERS["Strict-Transport-Security"]!,
  ...FEED_CORS_HEADERS,
  "Access-Control-Expose-Headers": "ETag",
};

const pageHeaders = Object.entries(PAGE_SECURITY_HEADERS);

/**
 * Gives an answer the page set unless it brings its own: the feed and OPML
 * routes build their answers once per version, security headers included
 * (a Content-Security-Policy says so), and a 304 carries none.
 */
export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  if (c.res.status === 304 || c.res.headers.has("Content-Security-Policy")) return;
  for (const [name, value] of pageHeaders) c.res.headers.set(name, value);
};
