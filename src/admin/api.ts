/**
 * The admin API: follow and drop feeds, post a page to ingest, manage tags
 * and their rules. Mounted only
 * when an admin token is configured; every request must carry it as a
 * bearer token, compared in constant time (hono/bearer-auth hashes both
 * sides and compares the digests). Bodies and query strings are checked by
 * schemas; every error is a problem details document (RFC 9457).
 */
import { Hono, type Context } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { HTTPException } from "hono/http-exception";
import { logLine, textFault } from "../normalise/text";
import { rootMessage } from "../storage/error-cause";
import { outageCode } from "../storage/outage";
import { TagNotFoundError, TopicChangeError } from "../storage/topic-changes";
import { problem } from "./problem";
import { addSourceRoutes } from "./source-routes";
import { addTopicRoutes } from "./topic-routes";
import type { AdminOptions } from "./options";

export type { AdminOptions } from "./options";

/** The methods each endpoint answers: any other is a 405 that says which (RFC 9110). */
const ALLOWED: [RegExp, string[]][] = [
  [/^\/sources$/, ["GET", "POST", "DELETE"]],
  [/^\/ingest$/, ["POST"]],
  [/^\/tags$/, ["GET"]],
  [/^\/tags\/[^/]+$/, ["PUT", "DELETE"]],
  [/^\/tags\/[^/]+\/(rename|merge)$/, ["POST"]],
  [/^\/rules$/, ["GET", "PUT"]],
];

const DETAILS: Record<number, string> = {
  401: "this API needs the admin token: Authorization: Bearer …",
  400: "the request could not be read",
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

  addSourceRoutes(api, { db, onChange, maxPageBytes, followRefusal, readPage });
  addTopicRoutes(api, { db, onChange });

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
  api.onError(errorAnswer);

  return api;
}

/** What a request that failed is answered: every error a problem details document, the driver's words never in it. */
function errorAnswer(error: Error, c: Context): Response {
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
}
