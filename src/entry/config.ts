/** Configuration from the environment: process.env on Node, the bindings' vars and secrets on the Worker. */
export interface Config {
  databaseUrl: string | undefined;
  dataDir: string;
  port: number;
  publicUrl: string | undefined;
  /** WebSub hub to announce in feeds and to notify after ingestions. */
  hubUrl: string | undefined;
  /** Bearer token of the admin API; without it there is no admin API. */
  adminToken: string | undefined;
}

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  const port = env.PORT ? Number(env.PORT) : 8787;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got '${env.PORT}'`);
  const publicUrl = env.FEEDWERK_PUBLIC_URL || undefined;
  if (publicUrl && !/^https?:\/\/[^/]+/.test(publicUrl)) {
    throw new Error(`FEEDWERK_PUBLIC_URL must be an absolute http(s) URL, got '${publicUrl}'`);
  }
  const hubUrl = env.FEEDWERK_HUB_URL || undefined;
  if (hubUrl && !/^https?:\/\/[^/]+/.test(hubUrl)) throw new Error(`FEEDWERK_HUB_URL must be an absolute http(s) URL, got '${hubUrl}'`);
  if (hubUrl && !publicUrl) {
    throw new Error("FEEDWERK_HUB_URL needs FEEDWERK_PUBLIC_URL: the hub fetches the feeds at their public address");
  }
  const adminToken = env.FEEDWERK_ADMIN_TOKEN || undefined;
  if (adminToken && adminToken.length < 16) throw new Error("FEEDWERK_ADMIN_TOKEN must be at least 16 characters (try: openssl rand -hex 24)");
  return {
    adminToken,
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.FEEDWERK_DATA || "data",
    port,
    publicUrl,
    hubUrl,
  };
}
