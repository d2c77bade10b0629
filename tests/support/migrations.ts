/** A database brought to the schema of an earlier release, to test what a migration does to its rows. */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { Database } from "../../src/storage/database";
import { MIGRATIONS, type OpenDatabase } from "../../src/storage/open";
import type { Backend } from "./databases";

/** A scratch database of `backend` at the schema before the migration `name`, open for `run`; dropped afterwards. */
export async function beforeMigration(backend: Backend, name: string, run: (opened: OpenDatabase) => Promise<void>): Promise<void> {
  const scratch = await backend.scratch();
  const opened = await scratch.open();
  try {
    await migrateBefore(opened, backend, name);
    await run(opened);
  } finally {
    await opened.close();
    await scratch.dispose();
  }
}

/** Applies the migrations that come before the one whose name ends in `_name`. */
export async function migrateBefore(opened: OpenDatabase, backend: Backend, name: string): Promise<void> {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS, "meta", "_journal.json"), "utf8")) as { entries: { idx: number; tag: string }[] };
  const stop = journal.entries.findIndex((e) => e.tag.endsWith(`_${name}`));
  if (stop <= 0) throw new Error(`no migration named ${name} after the first`);
  const dir = mkdtempSync(join(tmpdir(), "feedwerk-migrations-"));
  try {
    mkdirSync(join(dir, "meta"));
    const earlier = journal.entries.slice(0, stop);
    for (const e of earlier) copyFileSync(join(MIGRATIONS, `${e.tag}.sql`), join(dir, `${e.tag}.sql`));
    writeFileSync(join(dir, "meta", "_journal.json"), JSON.stringify({ ...journal, entries: earlier }));
    const { migrate } = backend.name === "pglite" ? await import("drizzle-orm/pglite/migrator") : await import("drizzle-orm/postgres-js/migrator");
    await migrate(opened.db as never, { migrationsFolder: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** postgres.js answers with the rows, PGlite with an object holding them. */
export const rowsOf = <T>(result: unknown): T[] => (Array.isArray(result) ? result : (result as { rows: T[] }).rows);

/** Tables in the order their foreign keys allow, with the serial ids whose sequences follow the copied rows. */
const TABLES: [table: string, serial: boolean][] = [
  ["sources", true],
  ["documents", true],
  ["items", false],
  ["observations", false],
  ["tags", true],
  ["item_tags", false],
  ["feed_state", false],
];

/**
 * Copies every row of a database written by today's code into one at an
 * earlier schema, each table's columns as far as that schema has them: rows
 * as the code of that release would have written them, where today's code
 * no longer runs on its schema (it writes columns added since).
 */
export async function copyRows(from: Database, to: Database): Promise<void> {
  for (const [table, serial] of TABLES) {
    const [read] = rowsOf<{ rows: unknown }>(
      await from.execute(sql`select coalesce(jsonb_agg(to_jsonb(t)), '[]'::jsonb) as rows from ${sql.identifier(table)} t`),
    );
    const json = typeof read!.rows === "string" ? read!.rows : JSON.stringify(read!.rows);
    // jsonb_populate_recordset reads the keys the target's row type has and ignores the columns it does not
    await to.execute(sql`insert into ${sql.identifier(table)} select * from jsonb_populate_recordset(null::${sql.identifier(table)}, ${json}::jsonb)`);
    if (serial)
      await to.execute(sql`select setval(pg_get_serial_sequence(${table}, 'id'), coalesce((select max(id) from ${sql.identifier(table)}), 0) + 1, false)`);
  }
}
