/** Drivers wrap errors (drizzle's "Failed query: …" with the statement and its parameters); the innermost cause says what went wrong. */
export function rootMessage(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  const message = current instanceof Error ? current.message || (current as NodeJS.ErrnoException).code || String(current) : String(current);
  return message.split("\n")[0]!;
}
