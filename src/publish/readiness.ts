/**
 * /readyz: whether the database answers, within a bound, so that a load
 * balancer can take an instance out while the database is unreachable and
 * a probe never hangs.
 */
import { sql } from "drizzle-orm";
import type { Database } from "../storage/database";
import { outageCode } from "../storage/outage";
import { withinDeadline } from "./database-outage";

export const READINESS_DEADLINE_MS = 2_000;

/** null when the database answers a trivial query in time, else why not (a code, never the driver's message). */
export async function databaseProblem(db: Database, deadlineMs = READINESS_DEADLINE_MS): Promise<string | null> {
  try {
    await withinDeadline(db.execute(sql`select 1`), deadlineMs);
    return null;
  } catch (error) {
    const code = outageCode(error);
    if (code === "DATABASE_TIMEOUT") return `the database did not answer within ${deadlineMs / 1000} s`;
    if (code) return `the database is unreachable (${code})`;
    // not a connection failure: the code of the driver's error at most
    const pgCode = (error as { cause?: { code?: unknown } }).cause?.code ?? (error as { code?: unknown }).code;
    return `the database answered with an error${typeof pgCode === "string" && /^[A-Z0-9_]{1,32}$/.test(pgCode) ? ` (${pgCode})` : ""}`;
  }
}
