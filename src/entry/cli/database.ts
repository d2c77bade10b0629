/**
 * The database a command works on: opened from the configuration, migrated,
 * closed when the command is done. A server may also start before its
 * PostgreSQL answers (preparing it in the background, see prepareForServing).
 */
import type { PendingDatabase } from "../../publish/app";
import { openDatabase, type OpenDatabase } from "../../storage/open";
import { mendsByWaiting, outageCode } from "../../storage/outage";
import { readConfig } from "../config";
import { rootMessage } from "../../storage/error-cause";

export async function withDatabase<T>(run: (opened: OpenDatabase) => Promise<T>): Promise<T> {
  const config = readConfig();
  // on the embedded database held by a running server, through that server (storage/pglite-share.ts)
  const opened = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, sharing: "join" });
  try {
    await prepare(opened, () => opened.migrate());
    return await run(opened);
  } finally {
    await opened.close();
  }
}

async function prepare(opened: OpenDatabase, setup: () => Promise<void>): Promise<void> {
  try {
    await setup();
  } catch (error) {
    throw cannotPrepare(opened, error);
  }
}

const cannotPrepare = (opened: OpenDatabase, error: unknown) => new Error(`cannot prepare the database ${opened.description}: ${rootMessage(error)}`);

/** Waits between attempts to reach a database that did not answer at start: soon at first, then every few seconds. */
const RETRY_DELAYS_MS = [500, 1_000, 2_000, 3_000];

const MIGRATING: PendingDatabase = { code: "MIGRATING", reason: "migrating" };

/** How often a server still waiting for its database says so. */
const STILL_WAITING_LOG_MS = 30_000;

/** A database being prepared while the server already answers. */
export interface Preparation {
  /** Why it cannot be used yet, or null once it is prepared. */
  pending(): PendingDatabase | null;
  /** Settles once it is prepared; rejects with an error that trying again cannot mend (the server should stop). */
  done: Promise<void>;
  /** Gives up trying (the server is stopping); `done` then never settles. */
  cancel(): void;
}

/**
 * Runs `setup` (migrate, and for `start` the seeds) once, as withDatabase
 * does. If the database is unreachable (PostgreSQL down or starting, as
 * after a machine's restart), the server need not refuse to start: this
 * returns at once and keeps trying in the background until setup succeeds,
 * while `pending` tells the app to answer 503. `setup` calls `migrating`
 * once the database answers and the lengthy part begins. Failures that waiting does not
 * mend (see mendsByWaiting) are thrown on the first attempt and reject `done`
 * on a later one.
 */
export async function prepareForServing(
  opened: OpenDatabase,
  setup: (migrating: () => void) => Promise<void>,
  log: (line: string) => void,
): Promise<Preparation> {
  const first = await attempt(() => setup(() => {}));
  if (first.ok) return { pending: () => null, done: Promise.resolve(), cancel: () => {} };
  if (!first.outage) throw cannotPrepare(opened, first.error);

  let outage: PendingDatabase | null = first.outage;
  let cancelled = false;
  let timer: NodeJS.Timeout | undefined;
  log(`the database ${opened.description} is unreachable (${outage.code}): answering 503 until it answers, trying again every few seconds`);
  // one line when the reason changes, and a reminder now and then while it stays the same
  let loggedAt = Date.now();
  const done = new Promise<void>((resolve, reject) => {
    const retry = async (tries: number) => {
      // once the database answers and is being migrated (or seeded), /readyz says so rather than the old outage
      const next = await attempt(() => setup(() => (outage = MIGRATING)));
      if (cancelled) return;
      if (next.ok) {
        outage = null;
        log(`the database ${opened.description} answers: prepared, serving`);
        return resolve();
      }
      if (!next.outage) return reject(cannotPrepare(opened, next.error));
      const changed = next.outage.code !== outage?.code;
      if (changed || Date.now() - loggedAt >= STILL_WAITING_LOG_MS) {
        log(`the database ${opened.description} is ${changed ? "now" : "still"} unreachable (${next.outage.code}): still trying`);
        loggedAt = Date.now();
      }
      outage = next.outage;
      timer = setTimeout(() => void retry(tries + 1), RETRY_DELAYS_MS[Math.min(tries, RETRY_DELAYS_MS.length - 1)]);
    };
    timer = setTimeout(() => void retry(1), RETRY_DELAYS_MS[0]);
  });
  return {
    pending: () => outage,
    done,
    cancel: () => {
      cancelled = true;
      clearTimeout(timer);
    },
  };
}

type Attempt = { ok: true } | { ok: false; error: unknown; outage: PendingDatabase | null };

async function attempt(setup: () => Promise<void>): Promise<Attempt> {
  try {
    await setup();
    return { ok: true };
  } catch (error) {
    const code = outageCode(error);
    const waitable = code !== null && mendsByWaiting(code);
    return { ok: false, error, outage: waitable ? { code, reason: `the database is unreachable (${code})` } : null };
  }
}
