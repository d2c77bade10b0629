/** A database brought to the schema of an earlier release, to test what a migration does to its rows. */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MIGRATIONS, type OpenDatabase } from "../../src/storage/open";
import type { Backend } from "./databases";

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
