/**
 * Many rows in one statement with one parameter: the rows travel as a JSON
 * array and jsonb_populate_recordset turns them into the table's row type.
 * A feed's first fetch writes fifty items, their observations and their tag
 * links; as a multi-row VALUES list that is a thousand bound parameters, a
 * statement text that changes with the number of rows, and more time spent
 * building and describing it than the database takes to write the rows.
 */
import { getTableColumns, getTableName, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { Database } from "./database";

/** Rows give every column (defaults are not applied); `name` prepares the statement once per connection. */
export async function insertRows<T extends PgTable>(
  tx: Database,
  table: T,
  rows: T["$inferInsert"][],
  options: { name: string; onConflictDoNothing?: boolean },
): Promise<void> {
  if (!rows.length) return;
  const columns = Object.entries(getTableColumns(table)) as [string, { name: string }][];
  const json = JSON.stringify(
    rows.map((row) => Object.fromEntries(columns.map(([key, column]) => [column.name, (row as Record<string, unknown>)[key] ?? null]))),
  );
  // columns named, not *: a column added by a later migration sits last in the table, not where the schema lists it
  const names = sql.join(
    columns.map(([, column]) => sql.identifier(column.name)),
    sql`, `,
  );
  const select = sql`select ${names} from jsonb_populate_recordset(null::${sql.identifier(getTableName(table))}, ${json}::jsonb)`;
  const insert = tx.insert(table).select(select);
  await (options.onConflictDoNothing ? insert.onConflictDoNothing() : insert).prepare(options.name).execute();
}
