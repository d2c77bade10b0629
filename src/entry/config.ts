/**
 * Configuration from the environment: process.env on Node, the bindings' vars and secrets on the Worker.
 * Checked as a whole by a schema, so every wrong variable is named at once, each on a line of its own.
 */
import * as z from "zod";
import { ALLOWABLE_HOST_NAME } from "../input/allowable-host";
import { slugify } from "../normalise/slug";

export interface Config {
  databaseUrl: string | undefined;
  dataDir: string;
  port: number;
  /** The address `serve` listens on. */
  host: string;
  publicUrl: string | undefined;
  /** WebSub hub to announce in feeds and to notify after ingestions. */
  hubUrl: string | undefined;
  /** Bearer token of the admin API; without it there is no admin API. */
  adminToken: string | undefined;
  /** Host names, addresses and CIDR ranges that followed feeds may be fetched from although private. */
  allowedHosts: string[];
  /** Items last seen longer ago than this many days are pruned; null: never. */
  retainDays: number | null;
  /** Slugs of the tags whose items are kept however old. */
  keepTags: string[];
  /** How often `serve --poll` prunes. */
  pruneEveryHours: number;
  /** Seconds a poller's claim on a feed holds (FEEDWERK_LEASE_SECONDS); unset: the pass's default. */
  leaseSeconds: number | undefined;
  /** What pollers on this machine call themselves in leases (FEEDWERK_POLLER_NAME); unset: the host's name. */
  pollerName: string | undefined;
  /** Full text: milliseconds between two article fetches from one host (FEEDWERK_ARTICLE_SPACING_MS). */
  articleSpacingMs: number;
  /** Full text: article pages fetched per source and pass at most (FEEDWERK_ARTICLES_PER_PASS). */
  articlesPerPass: number;
  /** Bearer token that opens /metrics to requests from other machines (FEEDWERK_METRICS_TOKEN). */
  metricsToken: string | undefined;
  /** `serve` logs every request it answers (FEEDWERK_ACCESS_LOG). */
  accessLog: boolean;
}

/**
 * Three months: long enough for a reader back from a long holiday to page
 * through what they missed and for ?q= to find a story of last season, short
 * enough that the database holds one quarter of the sources' output, not all
 * of it.
 */
export const DEFAULT_RETAIN_DAYS = 90;
export const DEFAULT_PRUNE_EVERY_HOURS = 24;

/** Only loopback by default: a fresh install is not reachable from the network until asked to be. */
export const DEFAULT_HOST = "127.0.0.1";

/** Every variable that is wrong, one line each: "PORT: must be a port number from 0 to 65535, got '80a'". */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}

// an empty variable counts as unset, as shells and .env files write it
const unsetIfEmpty = (value: unknown) => (value === "" ? undefined : value);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(unsetIfEmpty, schema.optional());

const got = (value: unknown) => `, got '${String(value)}'`;

const httpUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "" && /^https?:\/\//i.test(value);
    } catch {
      return false;
    }
  },
  { error: (issue) => `must be an absolute http(s) URL like https://feeds.example.org${got(issue.input)}` },
);

const postgresUrl = z.string().refine((value) => postgresUrlFault(value) === null, {
  error: (issue) =>
    `must be a PostgreSQL URL, postgres://user:password@host:5432/db (or postgresql://); unset it for the embedded database, got ${postgresUrlFault(String(issue.input))}`,
});

const port = z
  .string()
  .refine((value) => /^\d{1,5}$/.test(value) && Number(value) <= 65535, { error: (issue) => `must be a port number from 0 to 65535${got(issue.input)}` })
  .transform(Number);

/** A whole number of `unit` from `min` to `max`, written as digits alone. */
const wholeNumber = (unit: string, min: number, max: number) =>
  z
    .string()
    .refine((value) => /^\d{1,6}$/.test(value) && Number(value) >= min && Number(value) <= max, {
      error: (issue) => `must be a number of ${unit} from ${min} to ${max}${got(issue.input)}`,
    })
    .transform(Number);

const leaseSeconds = wholeNumber("seconds", 1, 86_400);
// a lease names its poller "NAME pid N": no spaces, so that the pid is where it is looked for
const pollerName = z.string().regex(/^[A-Za-z0-9._:@-]{1,100}$/, { error: "must be 1 to 100 letters, digits and . _ : @ - (no spaces)" });
const articleSpacing = wholeNumber("milliseconds", 0, 60_000);
const articlesPerPass = wholeNumber("pages", 1, 1_000);

// a host name or an IPv4 or IPv6 address: what a socket can be bound to
const host = z
  .string()
  .refine(
    (value) =>
      /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/i.test(value) || (/^[0-9a-f:.]+$/i.test(value) && value.includes(":")),
    {
      error: (issue) => `must be an address to listen on, like 127.0.0.1, 0.0.0.0 or ::${got(issue.input)}`,
    },
  );

/** A comma-separated list, as operators write one in a variable: entries trimmed, empty ones dropped. */
const commaList = z.string().transform((value) =>
  value
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean),
);

const allowedHosts = commaList.superRefine((entries, ctx) => {
  for (const entry of entries) {
    const problem = allowedHostProblem(entry);
    if (problem) ctx.addIssue({ code: "custom", message: `must list host names, addresses and CIDR ranges separated by commas: ${problem}` });
  }
});

/** 4 or 6 for an IP address, else 0, as node:net's isIP says, but with nothing the Worker lacks. */
function isIP(value: string): 0 | 4 | 6 {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value);
  if (v4) return v4.slice(1).every((octet) => Number(octet) <= 255) ? 4 : 0;
  if (!value.includes(":")) return 0;
  try {
    return new URL(`http://[${value}]/`).hostname !== "" ? 6 : 0;
  } catch {
    return 0;
  }
}

/** What is wrong with one entry of FEEDWERK_ALLOWED_HOSTS, or null: the fetcher builds its allow-list from them as they are. */
function allowedHostProblem(entry: string): string | null {
  const [raw, bits, ...rest] = entry.split("/");
  const address = raw!.replace(/^\[|\]$/g, "");
  const family = isIP(address);
  if (rest.length) return `'${entry}' has more than one /`;
  if (bits !== undefined) {
    const max = family === 6 ? 128 : 32;
    if (!family) return `'${entry}': a CIDR range needs an IP address before the /`;
    return /^\d{1,3}$/.test(bits) && Number(bits) <= max ? null : `'${entry}': the prefix length must be 0 to ${max}`;
  }
  if (family) return null;
  // digits and dots alone are an IPv4 address or a typo, never a host name
  if (/^[\d.]+$/.test(address)) return `'${entry}' is not an IPv4 address`;
  return ALLOWABLE_HOST_NAME.test(address) ? null : `'${entry}' is not a host name, address or CIDR range`;
}

// a bearer token as RFC 6750 spells one, long enough not to be guessed
const token = z.string().min(16, { error: (issue) => `must be at least 16 characters, has ${String(issue.input).length} (try: openssl rand -hex 24)` });

const onOff = z
  .enum(["1", "0", "true", "false", "on", "off"], { error: (issue) => `must be 1 (on) or 0 (off)${got(issue.input)}` })
  .transform((value) => value === "1" || value === "true" || value === "on");

const retainDays = z
  .string()
  .refine((value) => value === "forever" || (/^\d{1,5}$/.test(value) && Number(value) >= 1 && Number(value) <= 36500), {
    error: (issue) => `must be a number of days from 1 to 36500, or 'forever' to keep every item${got(issue.input)}`,
  })
  .transform((value) => (value === "forever" ? null : Number(value)));

const pruneEveryHours = wholeNumber("hours", 1, 8760);

// labels or slugs, as operators write tags elsewhere ("Ukraine", "ukraine"): kept as slugs
const keepTags = commaList
  .superRefine((entries, ctx) => {
    for (const entry of entries) {
      if (!slugify(entry)) ctx.addIssue({ code: "custom", message: `must list tags separated by commas: '${entry}' has no letter or digit` });
    }
  })
  .transform((entries) => [...new Set(entries.map(slugify))]);

const environment = z
  .object({
    DATABASE_URL: optional(postgresUrl),
    FEEDWERK_DATA: optional(z.string()).default("data"),
    PORT: optional(port).default(8787),
    HOST: optional(host).default(DEFAULT_HOST),
    FEEDWERK_PUBLIC_URL: optional(httpUrl),
    FEEDWERK_HUB_URL: optional(httpUrl),
    FEEDWERK_ADMIN_TOKEN: optional(token),
    FEEDWERK_METRICS_TOKEN: optional(
      token.refine((value) => /^[A-Za-z0-9._~+/-]+=*$/.test(value), {
        error: "must be a bearer token: letters, digits and . _ ~ + / - alone (try: openssl rand -hex 24)",
      }),
    ),
    FEEDWERK_ACCESS_LOG: optional(onOff).default(false),
    FEEDWERK_ALLOWED_HOSTS: optional(allowedHosts).default([]),
    FEEDWERK_RETAIN_DAYS: optional(retainDays).default(DEFAULT_RETAIN_DAYS),
    FEEDWERK_KEEP_TAGS: optional(keepTags).default([]),
    FEEDWERK_PRUNE_EVERY_HOURS: optional(pruneEveryHours).default(DEFAULT_PRUNE_EVERY_HOURS),
    FEEDWERK_LEASE_SECONDS: optional(leaseSeconds),
    FEEDWERK_POLLER_NAME: optional(pollerName),
    FEEDWERK_ARTICLE_SPACING_MS: optional(articleSpacing).default(1_000),
    FEEDWERK_ARTICLES_PER_PASS: optional(articlesPerPass).default(10),
  })
  .refine((env) => !env.FEEDWERK_HUB_URL || env.FEEDWERK_PUBLIC_URL, {
    path: ["FEEDWERK_HUB_URL"],
    error: "needs FEEDWERK_PUBLIC_URL: the hub fetches the feeds at their public address",
  });

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = environment.safeParse(env);
  if (!result.success) throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));
  const e = result.data;
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: e.FEEDWERK_DATA,
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.FEEDWERK_PUBLIC_URL,
    hubUrl: e.FEEDWERK_HUB_URL,
    adminToken: e.FEEDWERK_ADMIN_TOKEN,
    allowedHosts: e.FEEDWERK_ALLOWED_HOSTS,
    retainDays: e.FEEDWERK_RETAIN_DAYS,
    keepTags: e.FEEDWERK_KEEP_TAGS,
    pruneEveryHours: e.FEEDWERK_PRUNE_EVERY_HOURS,
    leaseSeconds: e.FEEDWERK_LEASE_SECONDS,
    pollerName: e.FEEDWERK_POLLER_NAME,
    articleSpacingMs: e.FEEDWERK_ARTICLE_SPACING_MS,
    articlesPerPass: e.FEEDWERK_ARTICLES_PER_PASS,
    metricsToken: e.FEEDWERK_METRICS_TOKEN,
    accessLog: e.FEEDWERK_ACCESS_LOG,
  };
}

/**
 * What is wrong with a database URL, or null: said by its scheme and the fault alone, never by the value. A
 * URL that cannot be read cannot be redacted either; its password may stand anywhere in it. The driver
 * decodes the user, password and database name, so a bad %-escape in them is a fault here, not its "URI malformed".
 */
function postgresUrlFault(value: string): string | null {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1];
  if (!scheme) return "something that is not a URL";
  if (!/^postgres(ql)?$/i.test(scheme)) return `a ${scheme}: URL`;
  if (!/^postgres(ql)?:\/\/[^/?#]/i.test(value)) return `a ${scheme}: URL without a host`;
  if (!URL.canParse(value)) return `a ${scheme}: URL that does not parse (a port above 65535, a space, a stray character?)`;
  const url = new URL(value);
  try {
    for (const part of [url.username, url.password, url.pathname]) decodeURIComponent(part);
  } catch {
    return `a ${scheme}: URL with a bad %-escape (write a "%" in a password as %25)`;
  }
  return null;
}
