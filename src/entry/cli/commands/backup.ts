/** backup and restore: the configured database saved to a file, and loaded back from one (then migrated). */
import type { Command } from "commander";
import { count, sql } from "drizzle-orm";
import { BACKUP_KINDS, backupDatabase, restoreDatabase, type BackupTarget } from "../../../storage/backup";
import type { Database } from "../../../storage/database";
import { rootMessage } from "../../../storage/error-cause";
import { openDatabase } from "../../../storage/open";
import { items, sources, tags } from "../../../storage/schema";
import { readConfig } from "../../config";

export function addBackupCommands(program: Command): void {
  program
    .command("backup")
    .argument("<file>", "the backup file to write (replaced whole once the backup is complete)")
    .description("save the database to FILE: PostgreSQL with pg_dump (custom format), the embedded database as its data folder (stop its server first)")
    .action(async (file: string) => {
      const target = configuredTarget();
      const written = await backupDatabase(target, file);
      console.log(`backed up ${describeTarget(target)} to ${file}: ${size(written.bytes)} (${BACKUP_KINDS[written.kind].format})`);
    });
  program
    .command("restore")
    .argument("<file>", "a file written by feedwerk backup")
    .description("load a backup into the configured database (of the kind it was taken from) and migrate it; an older version's backup is brought up to date")
    .option("--replace", "replace a database that holds items or sources already")
    .action(async (file: string, options: { replace?: boolean }) => {
      const target = configuredTarget();
      const kind = await restoreDatabase(target, file, { replace: options.replace });
      const opened = await openDatabase({ url: target.url, dataDir: target.dataDir });
      try {
        const before = await appliedMigrations(opened.db);
        try {
          await opened.migrate();
        } catch (error) {
          throw new Error(`${file}: restored, but cannot migrate it: ${rootMessage(error)}`);
        }
        const migrated = (await appliedMigrations(opened.db)) - before;
        const held = await Promise.all([items, sources, tags].map(async (table) => (await opened.db.select({ n: count() }).from(table))[0]!.n));
        const [itemCount, sourceCount, tagCount] = held as [number, number, number];
        console.log(
          `restored ${file} (${BACKUP_KINDS[kind].format}) into ${describeTarget(target)}: ${plural(itemCount, "item")}, ${plural(sourceCount, "source")}, ` +
            `${plural(tagCount, "tag")}; ${migrated ? `${plural(migrated, "migration")} applied (a backup of an older version)` : "its schema is current"}`,
        );
      } finally {
        await opened.close();
      }
    });
}

function configuredTarget(): BackupTarget {
  const config = readConfig();
  return { url: config.databaseUrl, dataDir: config.dataDir };
}

/** Which database, without the password: "PostgreSQL (db.example.org:5432/feedwerk)", "the embedded database (PGlite) in ./data". */
function describeTarget(target: BackupTarget): string {
  if (!target.url) return `${BACKUP_KINDS.pglite.database} in ${target.dataDir}`;
  const url = new URL(target.url);
  return `${BACKUP_KINDS.postgres.database} (${url.host}${url.pathname})`;
}

/** The migrations the database records as applied (drizzle's own table), 0 before the first. */
async function appliedMigrations(db: Database): Promise<number> {
  const first = async (query: ReturnType<typeof sql>) => {
    const result = await db.execute(query);
    // postgres.js answers with the rows, PGlite with an object holding them
    return ((Array.isArray(result) ? result : (result as unknown as { rows: unknown[] }).rows) as Record<string, unknown>[])[0]!;
  };
  // asked first: a statement naming a table that does not exist fails even where that part would not run
  if (!(await first(sql`select to_regclass('drizzle.__drizzle_migrations') is not null as found`)).found) return 0;
  return Number((await first(sql`select count(*)::int as n from drizzle.__drizzle_migrations`)).n);
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const [value, unit] = bytes < 1024 ** 2 ? [bytes / 1024, "KiB"] : [bytes / 1024 ** 2, "MiB"];
  return `${value.toFixed(1)} ${unit}`;
}
