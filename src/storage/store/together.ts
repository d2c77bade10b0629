/**
 * Promise.all for statements sent together in a transaction, but settling
 * them all before failing: a failed one aborts the transaction, and a chain
 * still sending behind it (a statement sent on another's answer) must have
 * sent before the rollback, or it would run outside the transaction.
 */
export async function together<T extends readonly unknown[] | []>(statements: T): Promise<{ -readonly [P in keyof T]: Awaited<T[P]> }> {
  const settled = await Promise.allSettled(statements);
  for (const result of settled) if (result.status === "rejected") throw result.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as { -readonly [P in keyof T]: Awaited<T[P]> };
}
