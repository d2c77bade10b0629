/**
 * Opens the database for Node entry points (CLI, server, tests):
 * PostgreSQL through the `postgres` driver when a URL is given, otherwise an
 * embedded PGlite in a data folder. Migrations in drizzle/ are applied to
 * either. The Worker opens its own connection and never imports this file.
 */
import { packageFile } from "./package-root";
import { createHook } from "node:async_hooks";
import { existsSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { setFlagsFromString } from "node:v8";
import { boundTransactions, CONNECTION_BOUNDS } from "./connection-bounds";
import type { Database } from "./database";
import { makeDataFolder } from "./data-folder";
import { explainMigrationError } from "./extensions";
import { eq, sql } from "drizzle-orm";
import { rootMessage } from "./error-cause";
import { HOLD_LIMIT_MS, type SharedSocket, shareOverSocket, sharedSocketPath } from "./pglite-share";
import { schema, settings } from "./schema";
import { SAFE_WORDS_CHECKED } from "./topics";

/**
 * What the migrations leave to code (topic-recheck checkSafeWordsOnce), loaded only where it has not run yet:
 * every command migrates first, and most never need it.
 */
async function checkSafeWordsOnce(db: Database): Promise<void> {
  const [done] = await db.select({ key: settings.key }).from(settings).where(eq(settings.key, SAFE_WORDS_CHECKED));
  if (!done) await (await import("./topic-recheck")).checkSafeWordsOnce(db);
}

export const MIGRATIONS = packageFile("drizzle");
/** The embedded database's buffer cache (PostgreSQL's default is 128MB). */
const PGLITE_SHARED_BUFFERS = "32MB";

export interface OpenOptions {
  /** postgres://… ; when absent, PGlite in dataDir. */
  url?: string | undefined;
  dataDir?: string | undefined;
  /**
   * PostgreSQL only: in every transaction of this client, cancel a statement
   * that runs longer and end the transaction if left idle as long (the
   * server's client; see SERVING_STATEMENT_TIMEOUT_MS). Migrations are not
   * bound by it.
   */
  statementTimeoutMs?: number | undefined;
  /**
   * PGlite only. `offer`: a server's; the database is offered to commands on a socket in the data folder
   * while it runs (pglite-share.ts). `join`: a command's; if a server holds the folder, work through its socket.
   */
  sharing?: "offer" | "join" | undefined;
}

export interface OpenDatabase {
  db: Database;
  /** "postgres" or "pglite (./data)", for log lines. */
  description: string;
  /**
   * The most connections it opens: the postgres driver's pool size, 1 for PGlite (in this process, one
   * session). For /metrics; the driver says nothing of the connections open or busy at a moment.
   */
  maxConnections?: number;
  /**
   * A server's embedded database (sharing "offer"): offers it to the other commands on a socket in the data
   * folder until close; where they reach it, or why they cannot.
   */
  offerToCommands?: () => Promise<{ path: string } | { unavailable: string }>;
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export async function openDatabase(options: OpenOptions): Promise<OpenDatabase> {
  if (options.url) return openPostgres(options.url, options.statementTimeoutMs);
  return openPglite(resolve(options.dataDir ?? "data"), options.sharing);
}

/** Connections of one PostgreSQL client. */
const POOL_SIZE = 4;

async function openPostgres(url: string, statementTimeoutMs: number | undefined): Promise<OpenDatabase> {
  const { default: postgres } = await import("postgres");
  const { drizzle } = await import("drizzle-orm/postgres-js");
  const { migrate } = await import("drizzle-orm/postgres-js/migrator");
  const client = postgres(url, { ...CONNECTION_BOUNDS, max: POOL_SIZE, onnotice: () => {} });
  const db = drizzle(client, { schema });
  if (statementTimeoutMs) boundTransactions(db as unknown as Database, statementTimeoutMs);
  return {
    db: db as unknown as Database,
    description: `PostgreSQL (${redact(url)})`,
    maxConnections: POOL_SIZE,
    // a connection of their own, without the statement timeout: building an index on a large table takes as long as it takes
    migrate: async () => {
      const own = postgres(url, { ...CONNECTION_BOUNDS, max: 1, onnotice: () => {} });
      try {
        const migrating = drizzle(own, { schema }) as unknown as Database;
        await migrate(migrating as never, { migrationsFolder: MIGRATIONS });
        await checkSafeWordsOnce(migrating);
      } catch (error) {
        throw explainMigrationError(error);
      } finally {
        await own.end({ timeout: 5 });
      }
    },
    close: () => client.end({ timeout: 5 }),
  };
}

async function openPglite(dataDir: string, sharing: OpenOptions["sharing"]): Promise<OpenDatabase> {
  makeDataFolder(dataDir);
  let release: () => void;
  try {
    release = lockDataDir(dataDir);
  } catch (error) {
    const through = error instanceof DataDirInUse && sharing === "join" ? await openThroughServer(dataDir, error.pid) : null;
    if (through) return through;
    throw error;
  }
  try {
    // a restore stopped between its renames (storage/backup.ts) left the data beside the folder: never start an empty one
    const folder = pgliteFolder(dataDir);
    if (!existsSync(join(folder, "PG_VERSION")) && existsSync(`${folder}.replaced`)) {
      throw new Error(`${dataDir}: a restore was interrupted; the database is in ${folder}.replaced: move it back to ${folder}, or restore again`);
    }
    keepTickShape();
    const { drizzle } = await import("drizzle-orm/pglite");
    const { migrate } = await import("drizzle-orm/pglite/migrator");
    const client = await createPglite(folder);
    const db = drizzle(client, { schema });
    let offered: SharedSocket | undefined;
    // offered by a server once it has migrated and seeded: no command migrates beside it
    const offer = async (): Promise<{ path: string } | { unavailable: string }> => {
      try {
        offered = await shareOverSocket(client, sharedSocketPath(dataDir));
        return { path: offered.path };
      } catch (error) {
        // a folder whose path is too long for a socket: the server runs, the commands wait for it to stop
        return { unavailable: `${sharedSocketPath(dataDir)}: ${(error as Error).message}` };
      }
    };
    return {
      db: db as unknown as Database,
      description: `embedded PGlite (${dataDir})`,
      maxConnections: 1,
      ...(sharing === "offer" ? { offerToCommands: offer } : {}),
      migrate: async () => {
        await migrate(db, { migrationsFolder: MIGRATIONS });
        await checkSafeWordsOnce(db as unknown as Database);
      },
      close: async () => {
        try {
          await offered?.close();
          await client.close();
        } finally {
          release();
        }
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

/**
 * The embedded database of a folder a server holds, through the socket it offers (pglite-share.ts), with
 * the `postgres` driver as for PostgreSQL. Null when there is no server answering there.
 */
async function openThroughServer(dataDir: string, pid: number): Promise<OpenDatabase | null> {
  const path = sharedSocketPath(dataDir);
  if (!existsSync(path)) return null;
  const { default: postgres } = await import("postgres");
  const { drizzle } = await import("drizzle-orm/postgres-js");
  // one connection (the server runs one transaction at a time anyway), and unnamed statements: a named
  // one would outlive this command in the one session the server and every command share
  // connecting waits for the session as a statement does: behind another command, up to its hold limit
  const client = postgres({ path, max: 1, prepare: false, connect_timeout: HOLD_LIMIT_MS / 1000 + 5, onnotice: () => {} });
  try {
    await client`select 1`;
  } catch (error) {
    await client.end({ timeout: 1 });
    // a socket left by a server that was killed: no server, the lock's owner is some other process
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ECONNREFUSED") return null;
    throw new Error(
      `the embedded database in ${dataDir} is held by the feedwerk server running as process ${pid}, which did not answer on ${path}: ${rootMessage(error)}`,
    );
  }
  const db = drizzle(client, { schema }) as unknown as Database;
  return {
    db,
    description: `embedded PGlite (${dataDir}), through the server that holds it (process ${pid})`,
    maxConnections: 1,
    // the server migrated it when it started; a command of a newer version does not migrate it under the server
    migrate: async () => {
      // through the postgres driver: a list of rows
      const [applied] = (await db.execute(sql`select max(created_at)::text as last from drizzle.__drizzle_migrations`)) as unknown as { last: string | null }[];
      if (Number(applied?.last ?? 0) < lastMigrationMillis()) {
        throw new Error(
          `the embedded database in ${dataDir} is held by a feedwerk server of an older version (process ${pid}), without this version's migrations: stop it, then run this command again, or start this version's server`,
        );
      }
    },
    close: () => client.end({ timeout: 5 }),
  };
}

/** When the newest migration of this version was made (drizzle's journal): what a migrated database has applied last. */
function lastMigrationMillis(): number {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS, "meta", "_journal.json"), "utf8")) as { entries: { when: number }[] };
  return Math.max(...journal.entries.map((e) => e.when));
}

/** Where in the data folder PGlite keeps its files (the folder itself holds the lock beside them). */
export const pgliteFolder = (dataDir: string) => join(dataDir, "pglite");

/**
 * The embedded PostgreSQL of a folder (PGlite's own, in a data folder; the caller holds its lock), with the
 * extension the migrations create; `loadDataDir` fills a new folder from a backup (storage/backup.ts).
 */
export async function createPglite(folder: string, loadDataDir?: Blob) {
  // WebAssembly compiled by Liftoff alone, never tiered up to TurboFan: PostgreSQL's hot functions run slower
  // (a first polling pass of 300 feeds on PGlite took about 25 % longer), but the optimised code and its compiling
  // held some 74 MiB for the life of the process (bench:memory), and a command opens the database faster
  setFlagsFromString("--liftoff-only");
  const { PGlite } = await import("@electric-sql/pglite");
  const { pg_trgm } = await import("@electric-sql/pglite/contrib/pg_trgm");
  return PGlite.create(folder, {
    extensions: { pg_trgm },
    // PostgreSQL's 128 MB of shared buffers are the process's own memory here, never given back (WebAssembly's
    // memory only grows): a smaller cache in front of files the system caches anyway (bench:memory)
    startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${PGLITE_SHARED_BUFFERS}`],
    ...(loadDataDir ? { loadDataDir } : {}),
  });
}

let keptTick: object | undefined;

/**
 * Keeps one entry of process.nextTick's queue alive for the life of the
 * process, taken before PGlite loads. Loading PGlite's extensions leaves V8
 * unable to record new shapes of plain objects as the same shape again: once
 * the shape of nextTick's entries has been collected (nothing holds an entry
 * between ticks), every new entry gets a shape of its own, V8 gives up on
 * caching them, and every nextTick takes its slow path. Node's HTTP server
 * makes several per request: without this a cached feed costs 10 to 15 %
 * more processor time on PGlite than on PostgreSQL (see docs/benchmarks.md,
 * "Serving feeds"). A live entry keeps its shape known.
 */
function keepTickShape(): void {
  if (keptTick) return;
  const hook = createHook({
    init(_id, type, _trigger, resource) {
      if (type === "TickObject") keptTick ??= resource;
    },
  }).enable();
  process.nextTick(() => {});
  hook.disable();
}

/**
 * PGlite is a single-process database: a second process opening the same
 * folder would corrupt it. A lock file holding our pid turns that into a
 * clear error; a lock left by a process that no longer runs is taken over.
 */
/** The data folder is another live process's. */
export class DataDirInUse extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      existsSync(sharedSocketPath(dataDir))
        ? `the embedded database in ${dataDir} is held by the feedwerk server running as process ${pid}; stop it first (while it runs, the other commands work through it, but not serve, start, backup or restore)`
        : `the embedded database in ${dataDir} is in use by process ${pid}; stop that process, or set DATABASE_URL to use PostgreSQL, which allows several`,
    );
  }
}

export function lockDataDir(dataDir: string): () => void {
  const lockPath = join(dataDir, "feedwerk.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, "wx");
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readFileSync(lockPath, "utf8").trim());
      if (pid && pid !== process.pid && isRunning(pid)) {
        throw new DataDirInUse(dataDir, pid);
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`could not lock ${lockPath}`);
}

/** Whether a process of this pid runs on this machine (EPERM: it does, as another user). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The URL with its password replaced by ***: what log lines may show of it. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres";
  }
}
