#!/usr/bin/env node
/**
 * feedwerk's command line: parse, ingest, migrate, serve, start. A thin
 * shell: the work is done by the input, storage and publish modules.
 */
import { fileURLToPath } from "node:url";
import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { relative } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import cliProgress from "cli-progress";
import { PageFormatError, parsePage } from "../input/page/parse";
import { decodePage } from "../input/page/decode";
import { fileErrorReason, listPageFiles, readPageFile } from "../input/page-files";
import { JsonTextError, parseJsonText } from "../input/json-text";
import { sourceEntry, type SourceEntry } from "../input/feed/source-entry";
import { issueLines } from "../input/schema-issues";
import * as z from "zod";
import { parseInstant } from "../normalise/instant";
import { isoSeconds, itemToJson } from "../normalise/item";
import { AddressPolicy } from "../input/fetch/address-policy";
import { readOpml, writeOpml } from "../input/opml";
import { followableUrl } from "../input/feed/followable-url";
import { FeedFetcher } from "../input/fetch/http-fetch";
import { pollFeeds } from "../pipeline/poll-feeds";
import { addFeedSource, findFeedSource, itemIdsOfSource, listFeedSources, removeFeedSource, setSourceTags } from "../storage/sources";
import { ingestPage } from "../pipeline/ingest-page";
import { announceChanges } from "../publish/websub";
import { openDatabase, type OpenDatabase } from "../storage/open";
import { countItems, findItem } from "../storage/queries";
import { ConfigError, readConfig } from "./config";
import { startServer } from "./server";
import { VersionBook } from "../publish/version-book";

const SEEDS = fileURLToPath(new URL("../../seeds", import.meta.url));
/** From this many files on, a terminal shows a progress bar instead of a line per file as it goes. */
const PROGRESS_BAR_FROM = 20;

function instant(value: string): Date {
  const date = parseInstant(value);
  if (!date) throw new InvalidArgumentError("expected an ISO 8601 time with a zone, like 2025-12-09T13:00:00Z");
  return date;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("expected a port number");
  return n;
}

/** Drivers wrap errors (drizzle's "Failed query: …"); the innermost cause says what went wrong. */
function rootMessage(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  const message = current instanceof Error ? current.message || (current as NodeJS.ErrnoException).code || String(current) : String(current);
  return message.split("\n")[0]!;
}

/** "file:line: message" for page errors, a sidecar's own name for its errors, "file: message" for the rest. */
function describeFailure(path: string, error: unknown): string {
  if (error instanceof PageFormatError) return `${path}:${error.line}: ${error.message}`;
  if (error instanceof JsonTextError) return `${displayPath(error.file)}${error.line === null ? "" : `:${error.line}`}: ${error.reason}`;
  if ((error as NodeJS.ErrnoException).code && (error as NodeJS.ErrnoException).syscall) return `${path}: ${fileErrorReason(error)}`;
  return `${path}: ${rootMessage(error)}`;
}

/** A file the user named, read as text; a missing or unreadable one is an error naming it. */
async function readNamedFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new Error(`${file}: ${fileErrorReason(error)}`);
  }
}

async function withDatabase<T>(run: (opened: OpenDatabase) => Promise<T>): Promise<T> {
  const config = readConfig();
  const opened = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    try {
      await opened.migrate();
    } catch (error) {
      throw new Error(`cannot prepare the database ${opened.description}: ${rootMessage(error)}`);
    }
    return await run(opened);
  } finally {
    await opened.close();
  }
}

interface IngestSummary {
  files: number;
  failed: number;
}

async function ingestPaths(opened: OpenDatabase, paths: string[], fetchedAt: Date | undefined): Promise<IngestSummary> {
  const { files, missing, skipped } = await listPageFiles(paths);
  const totals = { new: 0, updated: 0, unchanged: 0 };
  const changedTags = new Set<string>();
  const failures: string[] = missing.map((m) => `${m.path}: ${m.reason}`);
  for (const failure of failures) console.error(`error: ${failure}`);
  const bar =
    process.stderr.isTTY && files.length >= PROGRESS_BAR_FROM
      ? new cliProgress.SingleBar({ stream: process.stderr, format: "ingesting [{bar}] {value}/{total} pages · {failed} failed" }, cliProgress.Presets.shades_classic)
      : null;
  // With a bar on the same terminal, the per-file lines wait until it is done.
  const deferred: string[] = [];
  const say = (line: string) => (bar && process.stdout.isTTY ? deferred.push(line) : console.log(line));
  bar?.start(files.length, 0, { failed: 0 });

  for (const path of files) {
    const shown = displayPath(path);
    try {
      const page = await readPageFile(path, fetchedAt);
      const report = await ingestPage(opened.db, { name: shown, bytes: page.bytes, fetchedAt: page.fetchedAt });
      totals.new += report.new;
      totals.updated += report.updated;
      totals.unchanged += report.unchanged;
      for (const slug of report.changedTags) changedTags.add(slug);
      say(`${shown}: ${report.new} new, ${report.updated} updated, ${report.unchanged} unchanged`);
    } catch (error) {
      failures.push(describeFailure(shown, error));
      if (!bar) console.error(`error: ${failures[failures.length - 1]}`);
    }
    bar?.increment(1, { failed: failures.length });
  }
  bar?.stop();
  for (const line of deferred) console.log(line);
  if (bar) for (const failure of failures.slice(missing.length)) console.error(`error: ${failure}`);
  const total = files.length + missing.length;
  if (skipped.length) {
    const shown = skipped.slice(0, 3).map(displayPath).join(", ") + (skipped.length > 3 ? ", …" : "");
    console.log(`skipped ${skipped.length} ${skipped.length === 1 ? "file" : "files"} that ${skipped.length === 1 ? "is" : "are"} not a page (*.txt): ${shown}`);
  }
  console.log(
    `ingested ${total - failures.length} of ${total} ${total === 1 ? "page" : "pages"}: ${totals.new} new, ${totals.updated} updated, ${totals.unchanged} unchanged` +
      (failures.length ? `; ${failures.length} failed` : ""),
  );
  await notifyHub(changedTags, totals.new + totals.updated > 0);
  return { files: total, failed: failures.length };
}

/** WebSub: tells the configured hub which feeds the ingestion changed. A failed ping is a warning, not a failed ingestion. */
async function notifyHub(changedTags: Set<string>, anyItemChanged: boolean): Promise<void> {
  const { hubUrl, publicUrl } = readConfig();
  if (!hubUrl || !publicUrl) return;
  const { urls, failed } = await announceChanges(hubUrl, publicUrl, changedTags, anyItemChanged);
  if (!urls.length) return;
  console.log(`websub: notified ${hubUrl} of ${urls.length - failed.length} of ${urls.length} changed feeds`);
  for (const f of failed) console.error(`warning: websub ping for ${f.url} failed: ${f.detail}`);
}

/** Paths below the working directory relative, others as given. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") ? rel : path;
}

/** How often `serve --poll` looks for feeds that are due. */
const POLL_EVERY_MS = 60_000;

async function serveUntilStopped(opened: OpenDatabase, listen: { port?: number | undefined; host?: string | undefined }, poll = false): Promise<void> {
  const config = readConfig();
  const portNumber = listen.port ?? config.port;
  const versions = new VersionBook(opened.db);
  const server = await startServer(opened.db, {
    port: portNumber,
    hostname: listen.host ?? config.host,
    publicUrl: config.publicUrl,
    hubUrl: config.hubUrl,
    adminToken: config.adminToken,
    versions,
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "EADDRINUSE") throw new Error(`port ${portNumber} is in use; stop what holds it, or choose another with --port or PORT`);
    if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND") {
      throw new Error(`cannot listen on ${listen.host ?? config.host}: not an address of this machine (--host or HOST)`);
    }
    throw error;
  });
  console.log(`feedwerk serves ${opened.description} at ${server.url}${server.everyInterface ? " (every interface)" : ""}`);
  // a wildcard address is where the server listens, not an address to open: this machine's is
  const open = server.everyInterface ? server.url.replace(/\/\/(0\.0\.0\.0|\[::\])/, server.url.includes("[::]") ? "//[::1]" : "//127.0.0.1") : server.url;
  console.log(`  try ${open}/feeds/ukraine.xml  (also .atom and .json; index at ${open}/)`);
  if (config.adminToken) console.log(`  admin API at ${server.url}/api (bearer token from FEEDWERK_ADMIN_TOKEN)`);

  // serve --poll: the polling pass in the background, one at a time
  let polling: Promise<void> | null = null;
  const fetcher = poll ? new FeedFetcher(new AddressPolicy(readConfig().allowedHosts)) : null;
  const pass = () => {
    if (!fetcher || polling) return;
    polling = pollFeeds(opened.db, fetcher, {
      owner: pollerName(),
      leaseSeconds: config.leaseSeconds,
      onDone: (r) => {
        if (r.outcome === "failed") console.error(`poll: ${r.source.url}: ${r.error}`);
      },
    })
      .then(async (summary) => {
        if (summary.withNews > 0) {
          versions.invalidate();
          console.log(`poll: ${summary.feeds} feeds read, ${summary.withNews} with news`);
          await notifyHub(summary.changedTags, true);
        }
      })
      .catch((error: unknown) => console.error(`poll: ${(error as Error).message}`))
      .finally(() => {
        polling = null;
      });
  };
  const timer = fetcher ? setInterval(pass, POLL_EVERY_MS) : null;
  if (fetcher) {
    console.log(`  polling followed feeds every ${POLL_EVERY_MS / 1000} s`);
    pass();
  }

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      if (timer) clearInterval(timer);
      void Promise.resolve(polling)
        .then(() => server.close())
        .then(() => fetcher?.close())
        .then(resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

const program = new Command()
  .name("feedwerk")
  .description("Turns news pages into per-tag RSS, Atom and JSON feeds.")
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) })
  // the environment is checked before any command but parse, which reads none of it, does anything
  .hook("preAction", (_program, command) => {
    if (command.name() !== "parse") readConfig();
  });

program
  .command("parse")
  .description("print the items of one page as JSON; touches no database")
  .argument("<file>", "a saved page")
  .option("--fetched-at <iso>", "when the page was fetched (default: its .meta.json, else its modification time)", instant)
  .action(async (file: string, options: { fetchedAt?: Date }) => {
    try {
      const page = await readPageFile(file, options.fetchedAt);
      const items = parsePage(decodePage(page.bytes), page.fetchedAt);
      process.stdout.write(`${JSON.stringify({ items: items.map(itemToJson) }, null, 2)}\n`);
    } catch (error) {
      console.error(`error: ${describeFailure(file, error)}`);
      process.exitCode = 1;
    }
  });

program
  .command("ingest")
  .description("store pages (files or folders); one transaction per page")
  .argument("<paths...>", "page files or folders of them")
  .option("--fetched-at <iso>", "when the pages were fetched (default: each page's .meta.json, else its modification time)", instant)
  .action(async (paths: string[], options: { fetchedAt?: Date }) => {
    const summary = await withDatabase((opened) => ingestPaths(opened, paths, options.fetchedAt));
    if (summary.failed > 0) process.exitCode = 1;
  });

program
  .command("migrate")
  .description("create or update the database schema")
  .action(async () => {
    await withDatabase(async (opened) => console.log(`migrated ${opened.description}`));
  });

const portOption = () =>
  new Option("--port <n>", "port to listen on (default: $PORT, else 8787)").argParser(port);
const hostOption = () =>
  new Option("--host <address>", "address to listen on: 0.0.0.0 or :: for every interface (default: $HOST, else 127.0.0.1)");

program
  .command("serve")
  .description("serve the feeds over HTTP")
  .addOption(portOption())
  .addOption(hostOption())
  .option("--poll", "also poll the followed feeds in the background")
  .action(async (options: { port?: number; host?: string; poll?: boolean }) => {
    await withDatabase((opened) => serveUntilStopped(opened, options, options.poll));
  });

program
  .command("start")
  .description("migrate, ingest seeds/ if the database is empty, then serve")
  .addOption(portOption())
  .addOption(hostOption())
  .action(async (options: { port?: number; host?: string }) => {
    await withDatabase(async (opened) => {
      if ((await countItems(opened.db)) === 0) {
        console.log(`the database is empty: ingesting ${displayPath(SEEDS)}/`);
        await ingestPaths(opened, [SEEDS], undefined);
      }
      await serveUntilStopped(opened, options);
    });
  });

const sourcesCommand = program.command("sources").description("the feeds feedwerk follows");

sourcesCommand
  .command("add")
  .description("follow a feed (RSS, Atom or JSON Feed)")
  .argument("<url>", "the feed's http(s) address")
  .option("--name <name>", "a name of your own (default: the URL); it never changes")
  .option("--tag <label...>", "tags for every item of this feed")
  .action(async (url: string, options: { name?: string; tag?: string[] }) => {
    let parsed: string;
    try {
      parsed = followableUrl(url);
    } catch (error) {
      throw new Error(`${url}: ${(error as Error).message}`);
    }
    await withDatabase(async (opened) => {
      const source = await addFeedSource(opened.db, { url: parsed, name: options.name, tags: options.tag ?? [] });
      console.log(`following ${source.url} as '${source.name}'; 'fetch' reads it`);
    });
  });

sourcesCommand
  .command("list")
  .description("the followed feeds, with their last fetch, status, errors, next poll, and why a feed is broken")
  .action(async () => {
    await withDatabase(async (opened) => {
      const rows = await listFeedSources(opened.db);
      if (!rows.length) return console.log("no feeds followed yet: 'sources add URL'");
      const when = (d: Date | null) => (d ? isoSeconds(d) : "-");
      printTable(
        ["name", "url", "last fetch", "status", "errors", "next poll", "broken feed"],
        rows.map((r) => [r.name, r.url ?? "", when(r.lastFetchAt), r.lastStatus ?? "never fetched", String(r.errorCount), when(r.nextPollAt), r.parseWarning ?? ""]),
      );
      // the table cuts long cells: the last error of each failing feed in full, below it
      const failing = rows.filter((r) => r.lastError);
      if (failing.length) console.log(`\nlast errors:\n${failing.map((r) => `  ${r.name}: ${r.lastError}`).join("\n")}`);
    });
  });

sourcesCommand
  .command("remove")
  .description("stop following a feed (its items stay)")
  .argument("<url-or-name>")
  .action(async (key: string) => {
    await withDatabase(async (opened) => {
      const removed = await removeFeedSource(opened.db, key);
      if (!removed) throw new Error(`no followed feed is called or found at '${key}'`);
      console.log(`no longer following ${removed.url}`);
      await notifyHub(new Set(removed.changedTags), removed.changedTags.length > 0);
    });
  });

sourcesCommand
  .command("import")
  .description("follow every feed of an OPML file (feed readers export one)")
  .argument("<file>", "an .opml file")
  .action(async (file: string) => {
    let feeds: ReturnType<typeof readOpml>;
    const text = await readNamedFile(file);
    try {
      feeds = readOpml(text);
    } catch (error) {
      throw new Error(`${file}: ${(error as Error).message}`);
    }
    await withDatabase(async (opened) => {
      let added = 0;
      let skipped = 0;
      const changed = new Set<string>();
      for (const feed of feeds) {
        let url: string;
        try {
          url = followableUrl(feed.url);
        } catch (error) {
          console.error(`error: ${file}: skipped '${feed.url}': ${(error as Error).message}`);
          skipped++;
          continue;
        }
        const followed = await findFeedSource(opened.db, url);
        if (followed) {
          // an OPML folder is the feed's tag: a feed moved to another folder takes its items along
          if (JSON.stringify(followed.tags) !== JSON.stringify(feed.tags)) {
            for (const slug of await setSourceTags(opened.db, followed.id, feed.tags)) changed.add(slug);
            console.log(`new tags for ${url}: ${feed.tags.join(", ") || "none"}`);
          } else {
            console.log(`already followed: ${url}`);
          }
          continue;
        }
        const name = feed.title && !(await findFeedSource(opened.db, feed.title)) ? feed.title : url;
        await addFeedSource(opened.db, { url, name, tags: feed.tags });
        added++;
        console.log(`following ${url} as '${name}'${feed.tags.length ? ` (tags: ${feed.tags.join(", ")})` : ""}`);
      }
      console.log(`imported ${added} of ${feeds.length} feeds from ${file}`);
      await notifyHub(changed, changed.size > 0);
      // the others went in; the exit status still says that some could not
      if (skipped) process.exitCode = 1;
    });
  });

sourcesCommand
  .command("apply")
  .description("make the followed feeds what a config file says (JSON: {\"sources\": [{\"url\", \"name\"?, \"tags\"?}]})")
  .argument("<file>", "the config file")
  .option("--prune", "also stop following feeds the file does not list")
  .action(async (file: string, options: { prune?: boolean }) => {
    const wanted = readSourcesConfig(file, await readNamedFile(file));
    await withDatabase(async (opened) => {
      const counts = { added: 0, updated: 0, unchanged: 0, removed: 0 };
      const changed = new Set<string>();
      for (const entry of wanted) {
        const existing = await findFeedSource(opened.db, entry.url);
        if (!existing) {
          await addFeedSource(opened.db, entry);
          counts.added++;
          console.log(`following ${entry.url}`);
        } else if (JSON.stringify(existing.tags) !== JSON.stringify(entry.tags)) {
          for (const slug of await setSourceTags(opened.db, existing.id, entry.tags)) changed.add(slug);
          counts.updated++;
          console.log(`new tags for ${entry.url}: ${entry.tags.join(", ") || "none"}`);
        } else {
          counts.unchanged++;
        }
        if (existing && entry.name && existing.name !== entry.name) {
          console.error(`warning: ${file}: ${entry.url} keeps its name '${existing.name}' (names never change)`);
        }
      }
      if (options.prune) {
        const listed = new Set(wanted.map((w) => w.url));
        for (const source of await listFeedSources(opened.db)) {
          if (listed.has(source.url!)) continue;
          for (const slug of (await removeFeedSource(opened.db, source.url!))?.changedTags ?? []) changed.add(slug);
          counts.removed++;
          console.log(`no longer following ${source.url}`);
        }
      }
      console.log(`${file}: ${counts.added} added, ${counts.updated} updated, ${counts.unchanged} unchanged, ${counts.removed} removed`);
      await notifyHub(changed, changed.size > 0);
    });
  });

const sourcesFile = z.strictObject({ sources: z.array(sourceEntry) });

/** The sources config file, checked as a whole: every fault on a line of its own, naming the file and the entry. */
function readSourcesConfig(file: string, text: string): (SourceEntry & { tags: string[] })[] {
  const result = sourcesFile.safeParse(parseJsonText(file, text));
  if (!result.success) throw new ConfigError(issueLines(result.error).map((line) => `${file}: ${line}`));
  return result.data.sources.map((entry) => ({ ...entry, tags: entry.tags ?? [] }));
}

sourcesCommand
  .command("export")
  .description("the followed feeds as OPML, on standard output")
  .action(async () => {
    await withDatabase(async (opened) => {
      const rows = await listFeedSources(opened.db);
      process.stdout.write(writeOpml("feedwerk: gefolgte Feeds", rows.map((r) => ({ name: r.name, url: r.url!, tags: r.tags }))));
    });
  });

program
  .command("fetch")
  .description("one polling pass over the feeds that are due")
  .option("--all", "every feed, due or not")
  .action(async (options: { all?: boolean }) => {
    const failed = await withDatabase(async (opened) => {
      const config = readConfig();
      const fetcher = new FeedFetcher(new AddressPolicy(config.allowedHosts));
      // a line per feed as it is done, not a table at the end: a pass over ten thousand feeds keeps no list of them
      const columns = [40, 14, 5, 7, 9];
      const row = (cells: string[]) => console.log(cells.map((c, i) => (i < columns.length ? cutCell(c).padEnd(columns[i]!) : c)).join("  ").trimEnd());
      let headed = false;
      try {
        const summary = await pollFeeds(opened.db, fetcher, {
          all: options.all,
          owner: pollerName(),
          leaseSeconds: config.leaseSeconds,
          onDone: (r) => {
            if (!headed) row(["feed", "result", "new", "updated", "unchanged", "next poll"]);
            headed = true;
            row([r.source.name, r.outcome === "failed" ? `failed: ${r.error}` : r.outcome, String(r.report?.new ?? 0), String(r.report?.updated ?? 0), String(r.report?.unchanged ?? 0), isoSeconds(r.nextPollAt)]);
            // the line cuts long reasons: the reason in full, where the operator looks for it
            if (r.outcome === "failed") console.error(`error: ${r.source.url}: ${r.error}`);
          },
        });
        if (!summary.feeds) {
          console.log("no feed is due");
          return 0;
        }
        await notifyHub(summary.changedTags, summary.new + summary.updated > 0);
        const read = summary.feeds - summary.failed - summary.leaseLost;
        const lost = summary.leaseLost ? `; ${summary.leaseLost} given up to another poller (lease expired)` : "";
        console.log(`${read} of ${summary.feeds} feeds read${summary.failed ? `; ${summary.failed} failed` : ""}${lost}`);
        return summary.failed;
      } finally {
        await fetcher.close();
      }
    });
    if (failed > 0) process.exitCode = 1;
  });

program
  .command("items")
  .description("the stored items of one followed feed")
  .requiredOption("--source <url-or-name>", "the feed")
  .option("--json", "as JSON, in the shape 'parse' prints")
  .action(async (options: { source: string; json?: boolean }) => {
    await withDatabase(async (opened) => {
      const source = await findFeedSource(opened.db, options.source);
      if (!source) throw new Error(`no followed feed is called or found at '${options.source}'`);
      const found = (await Promise.all((await itemIdsOfSource(opened.db, source.id)).map((id) => findItem(opened.db, id)))).filter(
        (i): i is NonNullable<typeof i> => i !== null,
      );
      if (options.json) process.stdout.write(`${JSON.stringify({ items: found.map(itemToJson) }, null, 2)}\n`);
      else for (const item of found) console.log(`${item.publishedAt ? isoSeconds(item.publishedAt) : "(undated)           "}  ${item.title}`);
    });
  });

/** A long cell cut, as tables show it. */
function cutCell(s: string): string {
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
}

/** This process as leases name their holder: the operator sees which machine and process holds a feed. */
function pollerName(): string {
  return `${hostname()} pid ${process.pid}`;
}

/** Columns padded to their widest cell; long cells cut. */
function printTable(head: string[], rows: string[][]): void {
  const all = [head, ...rows].map((r) => r.map(cutCell));
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  for (const row of all) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd());
}

program.parseAsync().catch((error: unknown) => {
  const lines = error instanceof ConfigError ? error.problems : [error instanceof Error ? error.message : String(error)];
  for (const line of lines) console.error(`error: ${line}`);
  process.exitCode = 1;
});
