/**
 * How long a PostgreSQL connection may take to open, stay idle and live
 * (postgres.js options), for the Node entry points and the Worker alike.
 * A request never waits long on a dead database, and the pool reconnects
 * promptly once it is back.
 */
import { sql } from "drizzle-orm";
import type { Options } from "postgres";
import type { Database } from "./database";

export const CONNECTION_BOUNDS = {
  /** Seconds to connect and authenticate; the app's own deadlines are shorter still. */
  connect_timeout: 5,
  /** Idle connections close before a firewall or NAT forgets them silently. */
  idle_timeout: 30,
  max_lifetime: 10 * 60,
  /** TCP keep-alive from 10 s of silence on, to find a peer that vanished. */
  keep_alive: 10,
  // postgres.js waits up to 20 s between attempts after repeated failures by
  // default, so the first request after an outage would hang that long
  backoff: (retries: number) => Math.min(0.1 * 2 ** retries, 1),
} satisfies Options<Record<string, never>>;

/**
 * Timeouts of the transactions of the client that answers requests (the
 * Node server), set at each transaction's start: a statement in one that
 * waits on a lock or a database that stalls is cancelled by the server
 * (SQLSTATE 57014, a 503 to the client) instead of holding a request and a
 * pooled connection, and a transaction left open by a request that went
 * away is ended. Statements outside a transaction (the reads) are bound by
 * the requests' own deadlines (4 s) only. Set per transaction, not per
 * session, so that a pooler in front (PgBouncer) needs nothing of its own.
 */
export const SERVING_STATEMENT_TIMEOUT_MS = 10_000;

/**
 * Sets the timeouts at the start of each transaction, for that transaction
 * only. Not as startup parameters (PgBouncer and other poolers refuse those
 * they do not know with FATAL 08P01), nor with a session SET (a pooler in
 * transaction mode hands the session to other clients): a transaction is the
 * unit every pooler keeps on one server connection.
 */
export function boundTransactions(db: Database, ms: number): void {
  const transaction = db.transaction.bind(db);
  db.transaction = ((run: (tx: Transaction) => Promise<unknown>, config?: unknown) =>
    transaction(
      async (tx) => {
        await tx.execute(
          sql`select set_config('statement_timeout', ${String(ms)}, true), set_config('idle_in_transaction_session_timeout', ${String(ms)}, true)`,
        );
        return run(tx);
      },
      config as Parameters<Database["transaction"]>[1],
    )) as Database["transaction"];
}

type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
