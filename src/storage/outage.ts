/**
 * What a database outage looks like from the driver's side: the errors of a
 * query that could not reach PostgreSQL, or did not answer in time. Whoever
 * answers requests (the feeds, the admin API) maps them to a 503.
 */

/** A database call that did not settle within its deadline. */
export class DatabaseTimeout extends Error {
  readonly code = "DATABASE_TIMEOUT";
  constructor(readonly ms: number) {
    super(`the database did not answer within ${ms} ms`);
  }
}

// Node's socket errors and postgres.js's own connection errors that clear by themselves: a database not
// listening yet or going away, a network or name service not up yet (as after a machine's restart)
const PASSING_CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "DATABASE_TIMEOUT",
]);

// a name that does not resolve is an outage too, but seldom one that waiting mends (a typo in the host)
const CONNECTION_CODES = new Set([...PASSING_CONNECTION_CODES, "ENOTFOUND"]);

// SQLSTATEs of a server that is going away, starting or full (and so will be back), or cancelling on a timeout
const PASSING_STATES = new Set(["08006", "57P01", "57P02", "57P03", "53300"]);
const UNAVAILABLE_STATES = new Set([...PASSING_STATES, "57014"]);

/**
 * Whether the outage `code` (from outageCode) is one that waiting mends.
 * Anything else (a refused login, no such host or database, a missing
 * privilege, a pooler refusing the connection's settings) stays so however
 * long one waits.
 */
export function mendsByWaiting(code: string): boolean {
  return PASSING_CONNECTION_CODES.has(code) || PASSING_STATES.has(code);
}

/**
 * The code of the connection failure behind `error` (ECONNREFUSED,
 * CONNECTION_CLOSED, 57P01, …), or null if it is not one. Drizzle wraps
 * driver errors ("Failed query: …"), so the whole cause chain is read.
 */
export function outageCode(error: unknown): string | null {
  for (let current = error, depth = 0; current && depth < 8; current = (current as { cause?: unknown }).cause, depth++) {
    if (typeof current !== "object") break;
    const { code, severity, message } = current as { code?: unknown; severity?: unknown; message?: unknown };
    if (typeof code === "string") {
      if (CONNECTION_CODES.has(code) || code.startsWith("08") || UNAVAILABLE_STATES.has(code)) return code;
      // a FATAL error ends the session: the server refused or dropped the connection
      if (severity === "FATAL" || severity === "PANIC") return code;
    }
    // workerd's sockets fail with plain errors that carry no code
    if (typeof message === "string" && /^(Network connection lost|Stream was cancelled|proxy request failed)/i.test(message)) {
      return "NETWORK";
    }
  }
  return null;
}
