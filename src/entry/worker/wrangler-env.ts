/**
 * The environment wrangler runs in for `npm run dev:edge` and the tests:
 * no metrics, no update check, no lookup of Cloudflare's request metadata
 * (none of them work, or should be tried, without a network), and
 * Hyperdrive's local stand-in pointed at the given PostgreSQL, if any.
 */
export function wranglerEnvironment(base: Record<string, string | undefined>, databaseUrl?: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
  const quiet = { WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
  if (databaseUrl === undefined) return { ...env, ...quiet };
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new Error(`DATABASE_URL must be a postgres:// URL, got '${databaseUrl}'`);
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new Error(`DATABASE_URL must be a postgres:// URL, got '${url.protocol}…'`);
  }
  // Hyperdrive's local emulation refuses a URL without a password; a server
  // with trust authentication ignores the one given.
  if (!url.password) url.password = "unused";
  return { ...env, ...quiet, CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: url.toString() };
}
