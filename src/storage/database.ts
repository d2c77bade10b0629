/** The database type every query module works with, whichever driver is behind it. */
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { schema } from "./schema";

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
