/**
 * Backups of either database, and restoring them. The embedded PGlite is
 * saved whole: its data folder as a gzipped tar (PGlite's dumpDataDir),
 * loaded back into a new folder that then takes the old one's place.
 * PostgreSQL is saved by its own pg_dump in the custom format (-Fc) and
 * loaded by pg_restore into an emptied database, in one transaction. A file
 * is never left half-written, and a restore that fails leaves the database
 * as it was. Migrating what was restored is the caller's (withDatabase):
 * a backup of an older version is then brought up to date. Node only.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { constants, gunzipSync } from "node:zlib";
import { rootMessage } from "./error-cause";
import { makeDataFolder } from "./data-folder";
import { createPglite, lockDataDir, MIGRATIONS, pgliteFolder } from "./open";
import { libpqEnvironment, pgProgram, type PgProgram } from "./pg-programs";

export type BackupKind = "pglite" | "postgres";

/** What each kind is, as the lines say it. */
export const BACKUP_KINDS: Record<BackupKind, { database: string; format: string }> = {
  pglite: { database: "the embedded database (PGlite)", format: "PGlite data folder, gzipped tar" },
  postgres: { database: "PostgreSQL", format: "pg_dump custom format" },
};

/** The database a backup is taken of or restored into: PostgreSQL when a URL is given, else PGlite in the data folder. */
export interface BackupTarget {
  url?: string | undefined;
  dataDir: string;
}

const kindOfTarget = (target: BackupTarget): BackupKind => (target.url ? "postgres" : "pglite");

const PGDMP = [0x50, 0x47, 0x44, 0x4d, 0x50];
const GZIP = [0x1f, 0x8b];
const startsWith = (bytes: Uint8Array, magic: number[], at = 0) => magic.every((b, i) => bytes[at + i] === b);
/** A tar header says "ustar" at byte 257. */
const isTar = (bytes: Uint8Array) => startsWith(bytes, [0x75, 0x73, 0x74, 0x61, 0x72], 257);

/**
 * The kind of backup a file's first bytes make it: pg_dump's custom format
 * begins "PGDMP"; PGlite's dump is a tar, gzipped (as feedwerk writes it) or
 * not. Anything else, a gzip that does not hold a tar included, is none.
 */
export function backupKind(head: Uint8Array): BackupKind | null {
  if (startsWith(head, PGDMP)) return "postgres";
  if (isTar(head)) return "pglite";
  if (!startsWith(head, GZIP)) return null;
  try {
    // the head of a larger file: inflate what there is, without asking for the end
    return isTar(gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH })) ? "pglite" : null;
  } catch {
    return null;
  }
}

export interface BackupWritten {
  kind: BackupKind;
  file: string;
  bytes: number;
}

/** Writes a backup of the target's database to `file`, replacing it whole once the backup is complete. */
export async function backupDatabase(target: BackupTarget, file: string): Promise<BackupWritten> {
  try {
    return await backup(target, file);
  } catch (error) {
    throw naming(file, error);
  }
}

async function backup(target: BackupTarget, file: string): Promise<BackupWritten> {
  const kind = kindOfTarget(target);
  const folder = dirname(resolve(file));
  if (!existsSync(folder)) throw new Error(`${file}: no folder ${folder} to write it in`);
  if (existsSync(file) && statSync(file).isDirectory()) throw new Error(`${file}: a folder; name the backup file to write`);
  // named anew each time: a run killed before it could remove its partial file leaves no name a later run trips on
  const partial = join(folder, `.${basename(file)}.${randomBytes(6).toString("hex")}.partial`);
  try {
    if (kind === "postgres") await dumpPostgres(target.url!, partial, file);
    else writeSynced(partial, await dumpPglite(resolve(target.dataDir)));
    // the whole database, feed addresses with their tokens included: for its owner's eyes
    chmodSync(partial, 0o600);
    renameSync(partial, file);
  } finally {
    rmSync(partial, { force: true });
  }
  return { kind, file, bytes: statSync(file).size };
}

async function dumpPglite(dataDir: string): Promise<Uint8Array> {
  const folder = pgliteFolder(dataDir);
  if (!existsSync(join(folder, "PG_VERSION")))
    throw new Error(`${dataDir} holds no embedded database to back up (FEEDWERK_DATA; is DATABASE_URL meant to be set?)`);
  // PGlite belongs to one process: a running server must be stopped first, which the lock's error says
  const release = lockDataDir(dataDir);
  try {
    const pg = await createPglite(folder);
    try {
      // everything written lands in the data files, so that the copy needs no recovery when it is opened
      await pg.exec("checkpoint");
      return new Uint8Array(await (await pg.dumpDataDir("gzip")).arrayBuffer());
    } finally {
      await pg.close();
    }
  } finally {
    release();
  }
}

async function dumpPostgres(url: string, partial: string, file: string): Promise<void> {
  const pgDump = pgProgram("pg_dump", await serverMajor(url));
  await runProgram(pgDump, ["--format=custom", "--file", partial], url, `${file}: pg_dump`);
}

export interface RestoreOptions {
  /** Replace a database that holds feedwerk's data already. */
  replace?: boolean | undefined;
}

/**
 * Loads the backup in `file` into the target's database. Refused, with the
 * database untouched: a file that is no backup, a backup of the other kind of
 * database, and a database that holds items or sources already unless
 * `replace` is set.
 */
export async function restoreDatabase(target: BackupTarget, file: string, options: RestoreOptions = {}): Promise<BackupKind> {
  try {
    return await restore(target, file, options);
  } catch (error) {
    throw naming(file, error);
  }
}

async function restore(target: BackupTarget, file: string, options: RestoreOptions): Promise<BackupKind> {
  const kind = backupKind(readHead(file));
  if (!kind) throw new Error(`${file}: not a feedwerk backup (neither PGlite's gzipped data folder nor pg_dump's custom format)`);
  const configured = kindOfTarget(target);
  if (kind !== configured) {
    const how = configured === "postgres" ? "unset DATABASE_URL to restore it into FEEDWERK_DATA" : "set DATABASE_URL to restore it into PostgreSQL";
    throw new Error(
      `${file}: a backup of ${BACKUP_KINDS[kind].database}, but ${BACKUP_KINDS[configured].database} is configured: ${how} (a backup restores into the kind of database it was taken from)`,
    );
  }
  if (kind === "postgres") await restorePostgres(target.url!, file, options);
  else await restorePglite(resolve(target.dataDir), file, options);
  return kind;
}

function readHead(file: string): Uint8Array {
  const head = new Uint8Array(4096);
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    return head.subarray(0, readSync(fd, head, 0, head.length, 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`${file}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a folder, not a backup file" : (error as Error).message}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** An error that does not say which file it is about yet, made to: every line of backup and restore names it. */
function naming(file: string, error: unknown): Error {
  const message = error instanceof Error && error.cause instanceof Error ? rootMessage(error) : error instanceof Error ? error.message : String(error);
  if (message.startsWith(`${file}: `)) return error as Error;
  return new Error(`${file}: ${message}`);
}

/** "12 items, 3 sources": what a database holds already, or null when it holds none of feedwerk's data. */
function describeHeld(counts: { items: number; sources: number }): string | null {
  if (!counts.items && !counts.sources) return null;
  const n = (count: number, one: string) => `${count} ${one}${count === 1 ? "" : "s"}`;
  return `${n(counts.items, "item")}, ${n(counts.sources, "source")}`;
}

/**
 * What the database holds of feedwerk's: its items and sources, none before the first migration. In two
 * queries: a statement naming a table that does not exist fails whether or not that part would run.
 */
async function heldData(first: <T>(text: string) => Promise<T>): Promise<string | null> {
  const found = await first<{ found: boolean }>("select to_regclass('public.items') is not null and to_regclass('public.sources') is not null as found");
  if (!found.found) return null;
  return describeHeld(await first("select (select count(*) from public.items)::int as items, (select count(*) from public.sources)::int as sources"));
}

async function restorePglite(dataDir: string, file: string, options: RestoreOptions): Promise<void> {
  // gunzip first: a truncated or damaged file fails its checksum here, before anything is written
  let tar: Uint8Array;
  try {
    const bytes = readFileSync(file);
    tar = startsWith(bytes, GZIP) ? gunzipSync(bytes) : bytes;
  } catch (error) {
    throw new Error(`${file}: damaged or incomplete backup: ${(error as Error).message}`);
  }
  makeDataFolder(dataDir);
  const release = lockDataDir(dataDir);
  const live = pgliteFolder(dataDir);
  // fixed names: the data folder's lock makes this the one restore, and what an interrupted one left is found again
  const staging = `${live}.restoring`;
  const replaced = `${live}.replaced`;
  try {
    if (existsSync(replaced) && !existsSync(join(live, "PG_VERSION"))) {
      throw new Error(`${dataDir}: an earlier restore was interrupted between its two renames: move ${replaced} back to ${live} first`);
    }
    rmSync(replaced, { recursive: true, force: true });
    if (existsSync(join(live, "PG_VERSION")) && !options.replace) {
      const pg = await createPglite(live);
      try {
        const held = await heldData(async (text) => (await pg.query(text)).rows[0] as never);
        if (held) throw new Error(`${dataDir} holds feedwerk's data already (${held}): add --replace to replace it with ${file}`);
      } finally {
        await pg.close();
      }
    }
    // loaded into a folder beside the live one, checked, then swapped in: a failure leaves the live folder as it was
    rmSync(staging, { recursive: true, force: true });
    try {
      const pg = await createPglite(staging, new Blob([tar], { type: "application/x-tar" }));
      try {
        await pg.query("select count(*) from pg_class");
      } finally {
        await pg.close();
      }
    } catch (error) {
      throw new Error(`${file}: cannot be loaded as the embedded database: ${(error as Error).message}`);
    }
    // PGlite writes without fsync: the restored files reach the disk before the old ones are given up
    syncTree(staging);
    if (existsSync(live)) renameSync(live, replaced);
    renameSync(staging, live);
    syncTree(dirname(live), false);
    rmSync(replaced, { recursive: true, force: true });
  } finally {
    rmSync(staging, { recursive: true, force: true });
    release();
  }
}

/**
 * The schemas feedwerk's migrations fill: emptied before the backup is
 * loaded, so that tables a later migration added do not outlive a restore
 * of an older backup (its migrations then run again and would find them).
 */
const EMPTY_SCHEMAS = "drop schema if exists drizzle cascade;\ndrop schema if exists public cascade;\ncreate schema public;\n";

async function restorePostgres(url: string, file: string, options: RestoreOptions): Promise<void> {
  const major = await serverMajor(url);
  const [pgRestore, psql] = [pgProgram("pg_restore", major), pgProgram("psql", major)];
  // restoring empties the public schema: never over what is not feedwerk's, --replace or not
  const foreign = await foreignRelations(url);
  if (foreign.length) {
    throw new Error(
      `the database holds tables that are not feedwerk's (${foreign.slice(0, 5).join(", ")}${foreign.length > 5 ? ", …" : ""}), which restoring would drop: restore into a database of feedwerk's own (createdb)`,
    );
  }
  if (!options.replace) {
    const held = await heldData((text) => query(url, text));
    if (held) throw new Error(`the database holds feedwerk's data already (${held}): add --replace to replace it with ${file}`);
  }
  // pg_restore writes the backup as SQL into psql, which runs it in one transaction after emptying the schemas. It is
  // committed only once pg_restore has read the whole file: a truncated file, or a statement that fails, ends psql
  // without a commit, and PostgreSQL rolls everything back. Owners and grants are left out: the restored objects
  // belong to the user of DATABASE_URL, as those a migration creates do, whichever user took the backup.
  const env = libpqEnvironment(url);
  const sql = spawn(psql.path, ["--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1", "--file", "-"], { env, stdio: ["pipe", "ignore", "pipe"] });
  const restore = spawn(pgRestore.path, ["--no-owner", "--no-privileges", "--file", "-", resolve(file)], { env, stdio: ["ignore", "pipe", "pipe"] });
  const sqlDone = finished(sql);
  const restoreDone = finished(restore);
  sql.stdin.on("error", () => {}); // a psql that stopped at an error closes its input: its own exit says why
  // and pg_restore, whose output then goes nowhere, is ended rather than left waiting on a full pipe
  let stoppedEarly = false;
  sql.on("close", () => {
    if (restore.exitCode !== null || restore.signalCode !== null) return;
    stoppedEarly = true;
    restore.kill();
  });
  // behind a running server's transactions the drop would wait, and every request behind it: it gives up instead
  sql.stdin.write(`begin;\nset local lock_timeout = '10s';\n${EMPTY_SCHEMAS}`);
  restore.stdout.pipe(sql.stdin, { end: false });
  const restored = await restoreDone;
  sql.stdin.end(restored.code === 0 ? "commit;\n" : undefined);
  const loaded = await sqlDone;
  if (restored.code !== 0 && !stoppedEarly) throw new Error(`${file}: pg_restore failed${exitSays(restored)}; the database is unchanged`);
  if (loaded.code !== 0) throw new Error(`${file}: psql failed${exitSays(loaded)}; the database is unchanged`);
}

interface Exit {
  code: number | null;
  stderr: string;
}

function finished(child: ReturnType<typeof spawn>): Promise<Exit> {
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

const exitSays = (exit: Exit) => ` (exit status ${exit.code})${exit.stderr.trim() ? `: ${exit.stderr.trim().split("\n").join("; ")}` : ""}`;

async function runProgram(program: PgProgram, args: string[], url: string, what: string): Promise<void> {
  const child = spawn(program.path, args, { env: libpqEnvironment(url), stdio: ["ignore", "ignore", "pipe"] });
  const exit = await finished(child);
  if (exit.code !== 0) throw new Error(`${what} failed${exitSays(exit)}`);
}

async function query<T>(url: string, text: string): Promise<T> {
  const { default: postgres } = await import("postgres");
  const client = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    return (await client.unsafe(text))[0] as T;
  } finally {
    await client.end({ timeout: 5 });
  }
}

/** The tables feedwerk's migrations create (drizzle/*.sql), by name. */
function feedwerkTables(): Set<string> {
  const names = new Set<string>();
  for (const file of readdirSync(MIGRATIONS).filter((f) => f.endsWith(".sql"))) {
    for (const m of readFileSync(join(MIGRATIONS, file), "utf8").matchAll(/create table (?:if not exists )?"?([\w]+)"?/gi)) names.add(m[1]!.toLowerCase());
  }
  return names;
}

/** The tables, views and foreign tables in the public schema that feedwerk did not make (an extension's left out). */
async function foreignRelations(url: string): Promise<string[]> {
  const { default: postgres } = await import("postgres");
  const client = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    const rows = await client<{ relname: string }[]>`
      select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f')
        and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
      order by c.relname`;
    const ours = feedwerkTables();
    return rows.map((r) => r.relname).filter((name) => !ours.has(name));
  } finally {
    await client.end({ timeout: 5 });
  }
}

/** The server's major version (server_version_num 150020: 15), which decides the pg_dump to run. */
async function serverMajor(url: string): Promise<number> {
  const { server_version_num } = await query<{ server_version_num: string }>(url, "show server_version_num");
  return Math.floor(Number(server_version_num) / 10_000);
}

/** Flushes a folder's files (and, with `deep`, its subfolders') and the folder itself to the disk. */
function syncTree(dir: string, deep = true): void {
  if (deep) {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) syncTree(path);
      else if (e.isFile()) syncFile(path);
    }
  }
  syncFile(dir);
}

function syncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Written and flushed to the disk before it is renamed into place. */
function writeSynced(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, "wx", 0o600);
  try {
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
