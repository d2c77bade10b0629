/**
 * The PostgreSQL extension the migrations need: pg_trgm, whose trigram index
 * let a new tag find the stories naming it until the full-text index (now item_search) took
 * that over (drizzle/0016); the migrations before it still create both, so a
 * new database needs the extension too. PGlite loads it itself (open.ts). On PostgreSQL 13 and
 * later pg_trgm is a trusted extension: any role with CREATE on the database,
 * which drizzle's migrations need anyway, creates it. What remains is a
 * server without the contrib modules, an older server, or the extension
 * created beforehand in a schema the role does not search; this turns the
 * server's refusal into what the operator has to do.
 */

interface ServerError {
  message: string;
  code?: string;
}

/** The error to report for a failed migration: the same one, unless pg_trgm is what is missing. */
export function explainMigrationError(error: unknown): unknown {
  // the server's own error, not drizzle's wrapper, whose message quotes the statement
  const refusal = serverErrors(error).find((e) => e.code && /pg_trgm|gin_trgm_ops/.test(e.message));
  if (!refusal) return error;
  const what = "the schema needs PostgreSQL's pg_trgm extension (for a trigram index of its earlier migrations)";
  // 42704: installed, but in a schema this role's search_path does not reach (gin_trgm_ops unknown)
  const todo =
    refusal.code === "42704"
      ? "move it (`ALTER EXTENSION pg_trgm SET SCHEMA public;`) or add its schema to this role's search_path, then migrate again"
      : "have a superuser run `CREATE EXTENSION pg_trgm;` in this database (it ships with PostgreSQL's contrib modules, which Debian's postgresql package includes), then migrate again";
  return new Error(`${what}: ${refusal.message}; ${todo}`);
}

/** The error and its causes, as drizzle wraps the driver's error in one naming the query. */
function serverErrors(error: unknown): ServerError[] {
  const found: ServerError[] = [];
  for (let current = error; current instanceof Error && found.length < 10; current = current.cause) {
    found.push({ message: current.message.split("\n")[0]!, code: (current as { code?: unknown }).code as string | undefined });
  }
  return found;
}
