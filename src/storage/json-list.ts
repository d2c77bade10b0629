/**
 * Lists of values as one JSON parameter: a statement's text stays the same
 * for any number of values, so the driver prepares it once per connection
 * instead of describing a new one every time.
 */
import { sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";

/**
 * `column in (the list)`, written `= any(array(…))`, not `in (select …)`: the planner takes the list for a
 * hundred rows whatever its length, and as a semi-join it then prefers
 * reading the whole table (observations, item_tags) to a hundred index
 * lookups until the table is large, which makes every document's read grow
 * with everything stored. Compared with an array, the column's index is
 * used at any size.
 */
export function inJsonList(column: AnyPgColumn, values: string[] | number[]): SQL {
  return sql`${column} = any(${jsonArray(values, column.dataType === "number" ? "int" : "text")})`;
}

/** A JSON array parameter as a PostgreSQL array, for `= any(…)`. */
export function jsonArray(values: readonly string[] | readonly number[], type: "text" | "int"): SQL {
  const elements = sql`jsonb_array_elements_text(${JSON.stringify(values)}::jsonb)`;
  return type === "int" ? sql`array(select ${elements}::int)` : sql`array(select ${elements})`;
}
