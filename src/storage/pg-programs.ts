/**
 * PostgreSQL's client programs (pg_dump, pg_restore, psql), found for a
 * server of a given major version. pg_dump refuses a server newer than
 * itself, and distributions install each major version's programs side by
 * side (Debian's /usr/lib/postgresql/N/bin, Red Hat's /usr/pgsql-N/bin) with
 * only one of them in PATH: the one of the server's own version is taken
 * wherever it is, else one newer, else the error says which to install.
 * Node only (backups, see backup.ts).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";

export type PgProgramName = "pg_dump" | "pg_restore" | "psql";

export interface PgProgram {
  path: string;
  /** "15.20" */
  version: string;
  major: number;
}

/** The folders that may hold the programs: PATH's first, then each installed version's. */
export function programFolders(path = process.env.PATH ?? ""): string[] {
  const versioned = [
    ...listed("/usr/lib/postgresql").map((v) => join("/usr/lib/postgresql", v, "bin")),
    ...listed("/usr")
      .filter((name) => name.startsWith("pgsql-"))
      .map((name) => join("/usr", name, "bin")),
  ];
  return [...new Set([...path.split(delimiter).filter(Boolean), ...versioned])];
}

const listed = (dir: string) => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

/** Every copy of the program in these folders, with the version it says it is, in the folders' order. */
export function findPrograms(name: PgProgramName, folders: string[] = programFolders()): PgProgram[] {
  const found: PgProgram[] = [];
  for (const folder of folders) {
    const path = join(folder, name);
    if (!existsSync(path) || found.some((p) => p.path === path)) continue;
    try {
      const said = execFileSync(path, ["--version"], { encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "ignore"] });
      const version = /\(PostgreSQL\)\s+(\d+(?:\.\d+)?)/.exec(said)?.[1];
      if (version) found.push({ path, version, major: Number.parseInt(version, 10) });
    } catch {
      // not runnable (a broken link, another architecture): as if absent
    }
  }
  return found;
}

/**
 * The copy to use for a server of major version `serverMajor`: its own
 * version first (PATH's if it has one), else PATH's if newer, else the
 * oldest newer one. None, or only older ones: an error saying what to install.
 */
export function chooseProgram(name: PgProgramName, found: PgProgram[], serverMajor: number): PgProgram {
  const same = found.find((p) => p.major === serverMajor);
  if (same) return same;
  const newer = found.filter((p) => p.major > serverMajor);
  if (newer.length) return newer.sort((a, b) => a.major - b.major)[0]!;
  const install = `install PostgreSQL's client programs, version ${serverMajor} or newer (Debian, Ubuntu: apt install postgresql-client-${serverMajor}; Red Hat: dnf install postgresql${serverMajor}; macOS: brew install postgresql@${serverMajor}), or put their folder first in PATH`;
  if (!found.length) return fail(`${name} not found in PATH or /usr/lib/postgresql/*/bin: ${install}`);
  const newest = [...found].sort((a, b) => b.major - a.major)[0]!;
  return fail(`${name} ${newest.version} (${newest.path}) is older than the server (PostgreSQL ${serverMajor}) and cannot work with it: ${install}`);
}

const fail = (message: string): never => {
  throw new Error(message);
};

export function pgProgram(name: PgProgramName, serverMajor: number): PgProgram {
  return chooseProgram(name, findPrograms(name), serverMajor);
}

/**
 * The environment that points a program at the database of a postgres://
 * URL: libpq's PG* variables, so that the password is never on a command
 * line (where `ps` shows it) and the URL's driver-only parameters are not
 * read by libpq. Every PG* variable of this process's own environment is
 * left out: a PGSERVICE or PGHOSTADDR there would send the program to
 * another database than the one the URL names (and the driver checked).
 */
export function libpqEnvironment(url: string, inherited: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(inherited)) if (!key.startsWith("PG") && value !== undefined) env[key] = value;
  const u = new URL(url);
  // the URL's own parts are percent-encoded; its query's values were decoded by searchParams already
  const part = (value: string) => (value ? decodeURIComponent(value) : null);
  const set = (key: string, value: string | null | undefined) => {
    if (value) env[key] = value;
  };
  // no host is localhost over TCP, as the driver reads it (libpq alone would take the local socket)
  set("PGHOST", part(u.hostname.replace(/^\[|\]$/g, "")) ?? u.searchParams.get("host") ?? "localhost");
  set("PGPORT", u.port || u.searchParams.get("port"));
  set("PGUSER", part(u.username) ?? u.searchParams.get("user"));
  set("PGPASSWORD", part(u.password) ?? u.searchParams.get("password"));
  set("PGDATABASE", part(u.pathname.slice(1)) ?? u.searchParams.get("dbname"));
  // postgres.js's ssl=true or ssl=require and libpq's sslmode=require mean the same; ssl=false is sslmode=disable
  const ssl = u.searchParams.get("ssl");
  const sslmode = u.searchParams.get("sslmode") ?? (ssl === "true" ? "require" : ssl === "false" ? "disable" : ssl);
  set("PGSSLMODE", sslmode);
  return env;
}
