/**
 * Leases by who holds them: what a poller starting up reads to give back the leases of an earlier poller
 * of its own name that died holding them (killed, or its database gone when it stopped), rather than
 * leaving those feeds unpolled until the leases run out.
 */
import { and, gt, inArray, like, sql } from "drizzle-orm";
import type { Database } from "./database";
import { sources } from "./schema";

/** The pollers whose names begin with `prefix` that hold a live lease now. */
export async function leaseOwnersNamed(db: Database, prefix: string): Promise<string[]> {
  const pattern = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await db
    .selectDistinct({ owner: sources.leaseOwner })
    .from(sources)
    .where(and(like(sources.leaseOwner, pattern), gt(sources.leaseUntil, sql`now()`)));
  return rows.map((r) => r.owner!);
}

/** Gives back every lease these pollers hold; returns how many. */
export async function releaseLeasesOf(db: Database, owners: readonly string[]): Promise<number> {
  if (!owners.length) return 0;
  const released = await db
    .update(sources)
    .set({ leaseOwner: null, leaseToken: null, leaseUntil: null })
    .where(inArray(sources.leaseOwner, [...owners]))
    .returning({ id: sources.id });
  return released.length;
}
