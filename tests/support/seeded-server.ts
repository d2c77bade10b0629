/** The Node server on the embedded database with the seed page ingested, as a reader or a browser meets it. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startServer, type RunningServer } from "../../src/entry/node/server";
import { ingestPage } from "../../src/pipeline/ingest-page";
import type { OpenDatabase } from "../../src/storage/open";
import { indexQueued } from "../../src/storage/search-index";
import { backends } from "./databases";

export interface SeededServer {
  db: OpenDatabase;
  server: RunningServer;
  close(): Promise<void>;
}

export async function startSeededServer(): Promise<SeededServer> {
  const db = await backends[0]!.open();
  await ingestPage(db.db, {
    name: "seed",
    bytes: new Uint8Array(readFileSync(join(import.meta.dirname, "..", "pages", "seed-alaska.txt"))),
    fetchedAt: new Date("2025-12-09T13:00:00Z"),
  });
  // indexed for search, as `serve` indexes what it finds queued at start
  await indexQueued(db.db);
  const server = await startServer(db.db, { port: 0, hostname: "127.0.0.1" });
  return {
    db,
    server,
    close: async () => {
      await server.close();
      await db.close();
    },
  };
}
