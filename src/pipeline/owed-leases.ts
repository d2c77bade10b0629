/**
 * Leases a pass could not give back because its database was gone when the pass failed. A poller that
 * goes on (`serve --poll`) keeps them and gives them back when the database answers again, before its
 * next pass claims anything: otherwise those feeds would wait for their leases to run out (five minutes
 * by default), this poller's own included.
 */
import type { Database } from "../storage/database";
import { releaseLeases } from "../storage/sources";

export class OwedLeases {
  private readonly tokens = new Set<string>();

  /** Claims (lease tokens) not given back yet. */
  get size(): number {
    return this.tokens.size;
  }

  add(tokens: Iterable<string>): void {
    for (const token of tokens) this.tokens.add(token);
  }

  /** Gives back what is owed; throws, keeping it owed, while the database does not answer. Returns how many feeds were freed. */
  async settle(db: Database): Promise<number> {
    if (!this.tokens.size) return 0;
    const tokens = [...this.tokens];
    const freed = await releaseLeases(db, tokens);
    for (const token of tokens) this.tokens.delete(token);
    return freed;
  }
}

/**
 * A failing pass gives back the feeds it claimed and did not do, so that other pollers need not wait for
 * the leases to run out; when the database is what failed, they are owed until it returns.
 */
export async function giveBackOrOwe(db: Database, held: string[], owed: OwedLeases | undefined): Promise<void> {
  if (!held.length) return;
  try {
    await releaseLeases(db, held);
  } catch {
    owed?.add(held);
  }
}
