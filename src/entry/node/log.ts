/**
 * What `serve` prints while it runs: JSON lines (pino) for a log collector when standard output is not a
 * terminal, readable lines with a timestamp on a terminal. Information goes to standard output, warnings
 * and errors to standard error, as before. Every line is scrubbed first: no secret (the tokens, the
 * database password, a bearer token, a token in a query string, a password in a URL) and no raw control
 * character (feed titles and remote servers' error messages come from outside) is ever written.
 * The commands' own output (tables, counts) is output, not log: they print it themselves.
 */
import { format } from "node:util";
import pino, { type Logger } from "pino";
import { logLine } from "../../normalise/text";

export type Log = Logger;

export interface LogOptions {
  /** Strings never to be written wherever they appear (tokens, the database password): replaced by ***. */
  secrets?: (string | undefined)[];
  /** Readable lines rather than JSON; by default when standard output is a terminal. */
  readable?: boolean;
}

/** Longest value written: a remote server's whole error page is no log line. */
const MAX_VALUE = 2_000;
const LEVEL_NAMES: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };

export function createLog(options: LogOptions = {}): Log {
  const scrub = scrubber(options.secrets ?? []);
  const readable = options.readable ?? process.stdout.isTTY === true;
  const out = readable ? readableLines(process.stdout) : pino.destination({ fd: 1, sync: true });
  const err = readable ? readableLines(process.stderr) : pino.destination({ fd: 2, sync: true });
  return pino(
    {
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // names that hold secrets by their nature, whatever a caller passes under them
      redact: { paths: ["authorization", "token", "password", "*.authorization", "*.token", "*.password"], censor: "***" },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => scrubValue(arg, scrub)) as Parameters<typeof method>);
        },
      },
    },
    pino.multistream(
      [
        { level: "info", stream: out },
        { level: "warn", stream: err },
      ],
      { dedupe: true },
    ),
  );
}

/**
 * Replaces what must not be logged in a text, and escapes its control characters (\u001b, not ESC): a
 * terminal shown the log would act on them, and a line collector would split at a raw line break.
 */
export function scrubber(secrets: (string | undefined)[]): (text: string) => string {
  // the longest first: a secret that holds another is replaced whole
  const known = [...new Set(secrets.filter((s): s is string => !!s && s.length >= 4).flatMap((s) => [s, encodeURIComponent(s)]))].sort(
    (a, b) => b.length - a.length,
  );
  return (text) => {
    let line = text;
    for (const secret of known) line = line.replaceAll(secret, "***");
    line = line
      // a password in a URL: scheme://user:password@host
      .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)[^\s/@]*@/gi, "$1***@")
      // a bearer token, as an Authorization header carries it
      .replace(/\b(bearer\s+)[A-Za-z0-9._~+/-]+=*/gi, "$1***")
      // a token, key or password in a query string
      .replace(/([?&;][a-z0-9_.-]*(?:token|key|secret|passw(?:or)?d|sig(?:nature)?|auth|credential)[a-z0-9_.-]*=)[^&#\s]*/gi, "$1***");
    return logLine(line, MAX_VALUE);
  };
}

function scrubValue(value: unknown, scrub: (text: string) => string, depth = 0): unknown {
  if (typeof value === "string") return scrub(value);
  if (value instanceof Error) return scrub(value.message);
  // what would be {} as an object: its text
  if (value instanceof Date || value instanceof URL) return scrub(String(value));
  if (value === null || typeof value !== "object" || depth > 4) return value;
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, scrub, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [scrub(k), scrubValue(v, scrub, depth + 1)]));
}

/** A terminal's line for each JSON line: "2026-05-04 12:00:01 INFO  message key=value". */
function readableLines(to: NodeJS.WriteStream): { write(line: string): void } {
  return {
    write(line) {
      const { time, level, msg, ...fields } = JSON.parse(line) as Record<string, unknown>;
      const when = new Date(String(time));
      const stamp = `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())} ${pad(when.getHours())}:${pad(when.getMinutes())}:${pad(when.getSeconds())}`;
      const name = (typeof level === "number" ? LEVEL_NAMES[level] : String(level).toUpperCase()) ?? "INFO";
      const extra = Object.entries(fields).map(([k, v]) => ` ${k}=${typeof v === "string" && !/[\s"]/.test(v) ? v : JSON.stringify(v)}`);
      to.write(`${stamp} ${name.padEnd(5)} ${msg ?? ""}${extra.join("")}\n`);
    },
  };
}

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * While `serve` runs, what the core and the helpers it shares with the commands print (console.log, console.error)
 * becomes log lines too, scrubbed like the rest: standard output stays JSON lines alone. Returns the restoring function.
 */
export function routeConsole(log: Log): () => void {
  const saved = { log: console.log, error: console.error, warn: console.warn };
  console.log = (...args: unknown[]) => log.info(format(...args));
  console.warn = (...args: unknown[]) => log.warn(format(...args).replace(/^warning: /, ""));
  console.error = (...args: unknown[]) => {
    const line = format(...args);
    if (line.startsWith("warning: ")) log.warn(line.slice("warning: ".length));
    else log.error(line.replace(/^error: /, ""));
  };
  return () => Object.assign(console, saved);
}
