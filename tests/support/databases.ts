/**
 * The storage backends every storage test runs against: the embedded PGlite
 * (always) and a real PostgreSQL (TEST_DATABASE_URL). Each suite gets a
 * database of its own. Under CI a missing or unreachable PostgreSQL fails
 * the run instead of being skipped.
 *
 * A suite that runs on each backend says so with forEachDatabase (a fresh,
 * migrated database opened before it and closed after it) or, when it sets
 * up its databases itself (scratch databases for child processes, earlier
 * schemas), forEachBackend.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe } from "vitest";
import { openDatabase, type OpenDatabase } from "../../src/storage/open";

export interface Backend {
  name: string;
  /** Why this backend cannot run here, or null. */
  unavailable: string | null;
  /** A fresh, migrated database of its own. */
  open(): Promise<OpenDatabase>;
  /** A fresh, empty database for a child process: the environment that selects it. */
  scratch(): Promise<Scratch>;
}

export interface Scratch {
  env: Record<string, string>;
  open(): Promise<OpenDatabase>;
  dispose(): Promise<void>;
}

const pglite: Backend = {
  name: "pglite",
  unavailable: null,
  async scratch() {
    const dir = mkdtempSync(join(tmpdir(), "feedwerk-test-"));
    return {
      env: { FEEDWERK_DATA: dir, DATABASE_URL: "" },
      open: () => openDatabase({ dataDir: dir }),
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  async open() {
    const dir = mkdtempSync(join(tmpdir(), "feedwerk-test-"));
    const opened = await openDatabase({ dataDir: dir });
    await opened.migrate();
    return {
      ...opened,
      close: async () => {
        await opened.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const testUrl = process.env.TEST_DATABASE_URL;
if (!testUrl && process.env.CI) {
  throw new Error("CI is set but TEST_DATABASE_URL is not: the PostgreSQL suites must run in CI");
}

/** Creates a database of its own on the test server; returns its URL and how to drop it. */
async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = postgres(testUrl!, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  const name = `feedwerk_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  try {
    await admin.unsafe(`create database ${name}`);
  } catch (error) {
    await admin.end();
    throw new Error(`PostgreSQL at TEST_DATABASE_URL is unreachable or refused: ${(error as Error).message}`);
  }
  const url = new URL(testUrl!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

const postgresBackend: Backend = {
  name: "postgres",
  unavailable: testUrl ? null : "TEST_DATABASE_URL is not set",
  async scratch() {
    const created = await createTestDatabase();
    return { env: { DATABASE_URL: created.url }, open: () => openDatabase({ url: created.url }), dispose: created.drop };
  },
  async open() {
    const created = await createTestDatabase();
    const opened = await openDatabase({ url: created.url });
    await opened.migrate();
    return {
      ...opened,
      close: async () => {
        await opened.close();
        await created.drop();
      },
    };
  },
};

export const backends: Backend[] = [pglite, postgresBackend];

/** Empties every table, for a fresh start between tests on one database. */
export async function truncateAll(opened: OpenDatabase): Promise<void> {
  await opened.db.execute(
    sql`truncate table item_tags, observations, documents, items, item_search, search_queue, tags, sources, feed_state restart identity cascade`,
  );
}

/** A suite's title on one backend: "storage" becomes "storage on pglite"; a function words it itself. */
export type SuiteTitle = string | ((backend: Backend) => string);

export interface SuiteOptions {
  /** Why the suite cannot run here, besides its backend's own reason (a tool it needs is missing), or null. */
  unavailable?: string | null;
}

export interface DatabaseSuiteOptions extends SuiteOptions {
  /** Empties every table (truncateAll) before each test, for tests that each start from nothing. */
  emptyBeforeEach?: boolean;
}

/**
 * One describe block per backend, skipped where the backend (or `options.unavailable`) says it cannot
 * run, with the reason in its title. Under CI PostgreSQL is never skipped: this module fails to load.
 */
export function forEachBackend(title: SuiteTitle, body: (backend: Backend) => void, options: SuiteOptions = {}): void {
  for (const backend of backends) {
    const reason = backend.unavailable ?? options.unavailable ?? null;
    const named = typeof title === "string" ? `${title} on ${backend.name}` : title(backend);
    describe.skipIf(reason !== null)(reason === null ? named : `${named} (${reason})`, () => body(backend));
  }
}

/**
 * One describe block per backend (as forEachBackend) with a fresh, migrated database of its own, as
 * databaseForSuite: `db` stands for it from the block's hooks and tests on.
 */
export function forEachDatabase(title: SuiteTitle, body: (db: OpenDatabase, backend: Backend) => void, options: DatabaseSuiteOptions = {}): void {
  forEachBackend(title, (backend) => body(databaseForSuite(backend, options), backend), options);
}

/**
 * A fresh, migrated database of `backend` for the calling describe block, opened in a beforeAll and
 * closed in an afterAll: called first in the block, before its other hooks and after them. What it
 * returns stands for that database while it is open; the block's body runs before, so reading it there throws.
 */
export function databaseForSuite(backend: Backend, options: Pick<DatabaseSuiteOptions, "emptyBeforeEach"> = {}): OpenDatabase {
  let opened: OpenDatabase | undefined;
  beforeAll(async () => {
    opened = await backend.open();
  });
  afterAll(async () => {
    await opened?.close();
    opened = undefined;
  });
  if (options.emptyBeforeEach) beforeEach(() => truncateAll(open()));
  function open(): OpenDatabase {
    if (!opened) throw new Error(`the suite's ${backend.name} database is open only in its hooks and tests`);
    return opened;
  }
  return {
    get db() {
      return open().db;
    },
    get description() {
      return open().description;
    },
    get maxConnections() {
      return open().maxConnections;
    },
    get offerToCommands() {
      return open().offerToCommands;
    },
    migrate: () => open().migrate(),
    close: () => Promise.reject(new Error("the suite's database is closed after the suite")),
  };
}
