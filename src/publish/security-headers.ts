/**
 * The security headers every response carries: Hono's secureHeaders
 * middleware with feedwerk's policy, and the very headers it sets as a
 * record, for answers that are built once and served many times (cached
 * feeds) and so skip the middleware.
 */
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";

export const securityHeaders = secureHeaders({
  // no scripts at all; forms (the search) submit to this origin only
  contentSecurityPolicy: { defaultSrc: ["'none'"], styleSrc: ["'unsafe-inline'"], imgSrc: ["'self'"], formAction: ["'self'"], baseUri: ["'none'"] },
  crossOriginResourcePolicy: "cross-origin",
});

let record: Promise<Record<string, string>> | undefined;

/**
 * The headers `securityHeaders` sets, read once from the middleware's own
 * answer to a request: whatever Hono's middleware makes of the policy,
 * cached answers carry the same.
 */
export function securityHeaderRecord(): Promise<Record<string, string>> {
  record ??= Promise.resolve(
    new Hono()
      .use(securityHeaders)
      .get("/", (c) => c.body(null, 204))
      .request("/"),
  ).then((res) => Object.fromEntries(res.headers));
  return record;
}
