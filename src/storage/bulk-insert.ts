/**
 * Many rows in one statement with one parameter: the rows travel as a JSON
 * array and jsonb_populate_recordset turns them into the table's row type.
 * A feed's first fetch writes fifty items, their observations and their tag
 * links; as a multi-row VALUES list that is a thousand bound parameters, a
 * statement text that changes with the number of rows, and more time spent
 * building and describing it than the database takes to write the rows.
 */
import { getTableColumns, getTableName, type SQL, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { Database } from "./database";

/** A table's columns, property and column name, and the column list of the insert: the same for every call. */
const shapes = new WeakMap<PgTable, { columns: [string, string][]; names: SQL }>();

function shapeOf(table: PgTable): { columns: [string, string][]; names: SQL } {
  let shape = shapes.get(table);
  if (!shape) {
    const columns = Object.entries(getTableColumns(table)).map(([key, column]) => [key, (column as { name: string }).name] as [string, string]);
    // columns named, not *: a column added by a later migration sits last in the table, not where the schema lists it
    const names = sql.join(
      columns.map(([, name]) => sql.identifier(name)),
      sql`, `,
    );
    shape = { columns, names };
    shapes.set(table, shape);
  }
  return shape;
}

/** Rows give every column (defaults are not applied); `name` prepares the statement once per connection. */
export async function insertRows<T extends PgTable>(
  tx: Database,
  table: T,
  rows: T["$inferInsert"][],
  options: { name: string; onConflictDoNothing?: boolean },
): Promise<void> {
  if (!rows.length) return;
  const { columns, names } = shapeOf(table);
  const records = new Array<Record<string, unknown>>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as Record<string, unknown>;
    const record: Record<string, unknown> = {};
    for (const [key, name] of columns) record[name] = row[key] ?? null;
    records[i] = record;
  }
  const select = sql`select ${names} from jsonb_populate_recordset(null::${sql.identifier(getTableName(table))}, ${JSON.stringify(records)}::jsonb)`;
  const insert = tx.insert(table).select(select);
  await (options.onConflictDoNothing ? insert.onConflictDoNothing() : insert).prepare(options.name).execute();
}
