/**
 * The Cloudflare Workers shell around the publishing app: the same
 * createSite as the Node server, over PostgreSQL through a Hyperdrive
 * binding (in `wrangler dev`, Hyperdrive's local connection string), with
 * the Workers Cache API in front of the feeds.
 *
 * Hyperdrive pools the connections to the database, so each request opens
 * its own client (Workers do not let I/O objects outlive their request).
 */
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import type { ExecutionContext } from "hono";
import { withEdgeCache, type SharedCache } from "../../publish/edge-cache";
import { boundTransactions, CONNECTION_BOUNDS, SERVING_STATEMENT_TIMEOUT_MS } from "../../storage/connection-bounds";
import type { Database } from "../../storage/database";
import { schema } from "../../storage/schema";
import { ConfigError, readConfig, type Config } from "../config";
import { createSite } from "../site";

export interface Env {
  HYPERDRIVE?: { connectionString: string };
  FEEDWERK_PUBLIC_URL?: string;
  FEEDWERK_HUB_URL?: string;
  FEEDWERK_ADMIN_TOKEN?: string;
}

declare const caches: { default: SharedCache };

const POLLING_REFUSED =
  "feedwerk does not poll feeds on Workers: refusing internal addresses needs the address each fetch connects to, " +
  "which the Workers runtime does not reveal; poll from Node (`serve --poll` or `cli fetch` on a schedule)";

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    if (!env.HYPERDRIVE) {
      console.error("feedwerk: no HYPERDRIVE binding; see wrangler.toml and docs/workers.md");
      return new Response("Service unavailable: no database configured\n", { status: 503 });
    }
    let config: Config;
    try {
      config = readConfig({ ...env, HYPERDRIVE: undefined } as Record<string, string | undefined>);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const problem of error.problems) console.error(`feedwerk: ${problem}`);
      return new Response("Service unavailable: the configuration is invalid (see the log)\n", { status: 503 });
    }
    const client = postgres(env.HYPERDRIVE.connectionString, {
      ...CONNECTION_BOUNDS,
      max: 5,
      // Hyperdrive answers from the same database every time: no need to ask for its types
      fetch_types: false,
      onnotice: () => {},
    });
    const db = drizzle(client, { schema }) as unknown as Database;
    // as in the Node server: a write that waits on a lock or a stalled database ends in a 503, not a request held open
    boundTransactions(db, SERVING_STATEMENT_TIMEOUT_MS);
    const { app } = createSite({
      db,
      publicUrl: config.publicUrl,
      hubUrl: config.hubUrl,
      adminToken: config.adminToken,
      background: (task) => ctx.waitUntil(task),
    });
    try {
      return await withEdgeCache(
        request,
        caches.default,
        (work) => ctx.waitUntil(work),
        (req) => Promise.resolve(app.fetch(req, env, ctx)),
      );
    } finally {
      ctx.waitUntil(client.end({ timeout: 5 }));
    }
  },

  async scheduled(): Promise<void> {
    throw new Error(POLLING_REFUSED);
  },
};
