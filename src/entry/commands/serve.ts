/** migrate, serve and start: the database made ready, and the feeds served (with `--poll`, kept fresh) until stopped. */
import type { Command } from "commander";
import { sql } from "drizzle-orm";
import { AddressPolicy } from "../../input/fetch/address-policy";
import { FeedFetcher } from "../../input/fetch/http-fetch";
import { isoSeconds } from "../../normalise/item";
import { ArticleFetching, fullTextLine } from "../../pipeline/full-text";
import { pollFeeds, type PollResult } from "../../pipeline/poll-feeds";
import { describePrune, firstPruneDelayMs, nextPruneDelayMs, pruneByPolicy } from "../../pipeline/prune-schedule";
import { VersionBook } from "../../publish/version-book";
import { SERVING_STATEMENT_TIMEOUT_MS } from "../../storage/connection-bounds";
import { openDatabase, type OpenDatabase } from "../../storage/open";
import { countItems } from "../../storage/queries";
import { packageFile } from "../../storage/package-root";
import { hostOption, portOption } from "../cli/arguments";
import { prepareForServing, withDatabase, type Preparation } from "../cli/database";
import { failureLine } from "../cli/failures";
import { notifyHub } from "../cli/hub-notice";
import { pollerName } from "../cli/poller-name";
import { displayPath } from "../cli/named-files";
import { readConfig } from "../config";
import { FeedReadingPool } from "../feed-reading";
import { leanWhile } from "../lean-passes";
import { createLog, routeConsole, type Log } from "../log";
import { ServerMetrics } from "../metrics";
import { startServer } from "../server";

const SEEDS = packageFile("seeds");

/** How often `serve --poll` looks for feeds that are due. */
const POLL_EVERY_MS = 60_000;
/**
 * How long a stop may take to answer the requests in flight, store the document being stored and give back the
 * feeds claimed; then the rest is cut, and closing the fetcher, the threads and the databases gets CLOSE_MS: the
 * whole stop fits within docker's grace of 10 s (systemd's is 90 s) before they kill.
 */
const STOP_BOUND_MS = 7_000;
/**
 * The young generation of a reading thread's heap in a long-running server: V8 gives it up to 48 MB, and a thread
 * that reads one document at a time gains little from more (bench:memory: the peak falls by about 30 MB at 4).
 */
const READING_YOUNG_GENERATION_MB = 8;
/** How long closing may take after the work has ended or been cut, before the process ends anyway. */
const CLOSE_MS = 3_000;

interface ServeOptions {
  port?: number | undefined;
  host?: string | undefined;
  /** serve --poll */
  poll?: boolean;
  /** start: ingest seeds/ into an empty database first */
  seed?: boolean;
}

/**
 * Opens the database, prepares it (migrations, for `start` the seeds) and
 * serves until SIGINT or SIGTERM. A PostgreSQL that does not answer yet does
 * not keep the server from starting: it answers 503 and prepares the
 * database as soon as it answers (prepareForServing). What it prints while
 * it runs is its log (log.ts); an error that stops it is the command's, as
 * every command's.
 */
async function serveUntilStopped(listen: ServeOptions): Promise<void> {
  const config = readConfig();
  const log = createLog({ secrets: [config.adminToken, config.metricsToken, ...passwordOf(config.databaseUrl)] });
  const restoreConsole = routeConsole(log);
  try {
    const opened = await openDatabase({
      url: config.databaseUrl,
      dataDir: config.dataDir,
      statementTimeoutMs: SERVING_STATEMENT_TIMEOUT_MS,
      sharing: "offer",
    });
    // polling and pruning run statements no request waits for (VACUUM among them): on PostgreSQL a pool without the requests' bound
    const background = listen.poll && config.databaseUrl ? await openDatabase({ url: config.databaseUrl }) : opened;
    try {
      const setup = async (migrating: () => void) => {
        // the requests' pool first: it is not the migration's, and a pooler in front may refuse the one and not the other
        await opened.db.transaction((tx) => tx.execute(sql`select 1`));
        migrating();
        await opened.migrate();
        if (listen.seed && (await countItems(opened.db)) === 0) {
          log.info(`the database is empty: ingesting ${displayPath(SEEDS)}/`);
          // the page readers loaded for this alone: a server that seeds nothing never holds them
          const { ingestPaths } = await import("./ingest-pages");
          await ingestPaths(opened, [SEEDS], undefined);
        }
      };
      // a database that does not answer is a warning; its preparation's other lines are information
      const preparation = await prepareForServing(opened, setup, (line) => (/ unreachable /.test(line) ? log.warn(line) : log.info(line)));
      await serveOn(opened, background, preparation, listen, log);
    } finally {
      if (background !== opened) await background.close();
      await opened.close();
    }
  } finally {
    restoreConsole();
  }
}

/** The database password, as the URL spells it and decoded, so that the log never shows it. */
function passwordOf(url: string | undefined): string[] {
  try {
    const password = url ? new URL(url).password : "";
    return password ? [password, decodeURIComponent(password)] : [];
  } catch {
    return [];
  }
}

/** The feed a log line is about: its name and URL, and its title as the feed says it (scrubbed by the log). */
const feedOf = (source: PollResult["source"]) => ({ name: source.name, url: source.url, ...(source.title ? { title: source.title } : {}) });

async function serveOn(opened: OpenDatabase, background: OpenDatabase, preparation: Preparation, listen: ServeOptions, log: Log): Promise<void> {
  const config = readConfig();
  const poll = listen.poll ?? false;
  const portNumber = listen.port ?? config.port;
  const versions = new VersionBook(opened.db);
  const addresses = new AddressPolicy(config.allowedHosts);
  const metrics = new ServerMetrics({
    db: opened.db,
    pools: [
      { name: "requests", maxConnections: opened.maxConnections },
      ...(background !== opened ? [{ name: "background", maxConnections: background.maxConnections }] : []),
    ],
  });
  const server = await startServer(opened.db, {
    port: portNumber,
    hostname: listen.host ?? config.host,
    publicUrl: config.publicUrl,
    hubUrl: config.hubUrl,
    adminToken: config.adminToken,
    versions,
    pending: preparation.pending,
    followRefusal: (url) => addresses.followRefusal(url),
    metrics: { counters: metrics, access: { token: config.metricsToken, behindProxy: config.publicUrl !== undefined } },
    accessLog: config.accessLog ? log : undefined,
  }).catch((error: NodeJS.ErrnoException) => {
    preparation.cancel();
    if (error.code === "EADDRINUSE") throw new Error(`port ${portNumber} is in use; stop what holds it, or choose another with --port or PORT`);
    if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND") {
      throw new Error(`cannot listen on ${listen.host ?? config.host}: not an address of this machine (--host or HOST)`);
    }
    throw error;
  });
  log.info({ url: server.url }, `feedwerk serves ${opened.description} at ${server.url}${server.everyInterface ? " (every interface)" : ""}`);
  // a wildcard address is where the server listens, not an address to open: this machine's is
  const open = server.everyInterface ? server.url.replace(/\/\/(0\.0\.0\.0|\[::\])/, server.url.includes("[::]") ? "//[::1]" : "//127.0.0.1") : server.url;
  log.info(`try ${open}/feeds/ukraine.xml  (also .atom and .json; index at ${open}/)`);
  if (config.adminToken) log.info(`admin API at ${server.url}/api (bearer token from FEEDWERK_ADMIN_TOKEN)`);
  const metricsFrom = config.metricsToken
    ? config.publicUrl
      ? "with the bearer token from FEEDWERK_METRICS_TOKEN"
      : "from loopback, and elsewhere with the bearer token from FEEDWERK_METRICS_TOKEN"
    : config.publicUrl
      ? "to nobody: FEEDWERK_PUBLIC_URL is set (a proxy in front), and FEEDWERK_METRICS_TOKEN is not"
      : "from loopback only (FEEDWERK_METRICS_TOKEN opens it to other addresses)";
  log.info(`metrics at ${open}/metrics ${metricsFrom}`);
  if (opened.shared && "path" in opened.shared)
    log.info(`other commands reach the embedded database through ${displayPath(opened.shared.path)} while this runs`);
  else if (opened.shared) log.warn(`other commands cannot reach the embedded database while this runs: ${opened.shared.unavailable}`);

  // serve --poll: the polling pass in the background, one at a time
  let polling: Promise<void> | null = null;
  let pruning: Promise<void> | null = null;
  let stopped = false;
  // stopping the server stops the pass too: the feeds it has claimed and not done go back to the other pollers
  const stopPass = new AbortController();
  const fetcher = poll ? new FeedFetcher(addresses) : null;
  const reading = poll ? new FeedReadingPool({ youngGenerationMb: READING_YOUNG_GENERATION_MB }) : null;
  const articles = fetcher ? new ArticleFetching(fetcher, { spacingMs: config.articleSpacingMs, perPass: config.articlesPerPass }) : undefined;
  const pass = () => {
    if (!fetcher || polling || pruning) return;
    polling = leanWhile(() =>
      pollFeeds(background.db, metrics.timed(fetcher), {
        owner: pollerName(),
        leaseSeconds: config.leaseSeconds,
        signal: stopPass.signal,
        reader: reading?.read,
        articles,
        onDone: (r) => {
          metrics.polled(r);
          const feed = feedOf(r.source);
          const counts = r.report ? { new: r.report.new, updated: r.report.updated, unchanged: r.report.unchanged } : {};
          if (r.outcome === "failed") log.warn({ feed, outcome: r.outcome, error: r.error }, `poll: ${r.source.url}: ${r.error}`);
          else if (r.outcome === "lease lost")
            log.warn({ feed, outcome: r.outcome }, `poll: ${r.source.url}: lease lost, another poller took it over; nothing recorded`);
          else
            log.info(
              { feed, outcome: r.outcome, ...counts },
              `poll: ${r.source.url}: ${r.outcome}${r.report ? `, ${r.report.new} new, ${r.report.updated} updated` : ""}`,
            );
          if (r.fullText?.failed) log.warn({ feed, fullText: r.fullText }, `poll: ${r.source.url}: full text: ${fullTextLine(r.fullText)}`);
        },
      }),
    )
      .then(async (summary) => {
        metrics.passEnded(true);
        if (summary.withNews > 0 || summary.failed > 0) {
          // a failed feed was not read: it is counted apart, as fetch counts it
          const read = summary.feeds - summary.failed - summary.leaseLost;
          const failed = summary.failed ? `; ${summary.failed} failed` : "";
          log.info(
            { feeds: summary.feeds, read, withNews: summary.withNews, failed: summary.failed, new: summary.new, updated: summary.updated },
            `poll: ${read} of ${summary.feeds} ${summary.feeds === 1 ? "feed" : "feeds"} read, ${summary.withNews} with news${failed}`,
          );
        }
        if (summary.givenBack)
          log.info({ givenBack: summary.givenBack }, `poll: stopped, ${summary.givenBack} claimed feeds given back to other pollers unfetched`);
        if (summary.withNews > 0) {
          versions.invalidate();
          await notifyHub(summary.changedTags, true);
        }
      })
      .catch((error: unknown) => {
        metrics.passEnded(false);
        log.error(`poll: ${failureLine(error)}`);
      })
      .finally(() => {
        polling = null;
      });
  };
  // polling and pruning begin once the database is prepared
  let timer: NodeJS.Timeout | null = null;
  let pruneTimer: NodeJS.Timeout | null = null;
  const prunePass = () => {
    pruning = Promise.resolve(polling)
      .then(() => pruneByPolicy(background.db, config, new Date()))
      .then(async (report) => {
        if (!report) return;
        metrics.pruned(report.items);
        log.info(
          { items: report.items, cutoff: isoSeconds(report.cutoff) },
          `prune: removed ${describePrune(report)} last seen before ${isoSeconds(report.cutoff)}`,
        );
        if (report.items) {
          versions.invalidate();
          await notifyHub(new Set(report.changedTags), true);
        }
      })
      .catch((error: unknown) => log.error(`prune: ${failureLine(error)}`))
      .finally(() => {
        pruning = null;
        if (!stopped) pruneTimer = setTimeout(prunePass, nextPruneDelayMs(config));
      });
  };
  const ready = preparation.done.then(() => {
    if (!fetcher || stopped) return;
    timer = setInterval(pass, POLL_EVERY_MS);
    log.info(`polling followed feeds every ${POLL_EVERY_MS / 1000} s`);
    pass();
    // serve --poll prunes too: what polling brings in, retention takes out again; after the pass running, never beside it
    if (config.retainDays !== null) {
      log.info(
        `pruning items last seen over ${config.retainDays} days ago every ${config.pruneEveryHours} h${config.keepTags.length ? ` (kept: tags ${config.keepTags.join(", ")})` : ""}`,
      );
      pruneTimer = setTimeout(prunePass, firstPruneDelayMs());
    }
  });

  await new Promise<void>((resolve, reject) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info(`stopping (${signal}): no new requests; answering those in flight and finishing the polling pass, for ${STOP_BOUND_MS / 1000} s at most`);
      stop();
    };
    const stop = (failure?: unknown) => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      preparation.cancel();
      stopPass.abort();
      if (timer) clearInterval(timer);
      stopped = true;
      if (pruneTimer) clearTimeout(pruneTimer);
      // one deadline for all of it: whatever hangs (a database that does not answer its close), the process ends
      setTimeout(() => {
        log.error(`stop: still closing after ${(STOP_BOUND_MS + CLOSE_MS) / 1000} s: exiting`);
        process.exit(1);
      }, STOP_BOUND_MS + CLOSE_MS).unref();
      // the server stops accepting at once, while the pass gives back what it holds
      const finished = Promise.all([server.close(), polling, pruning]).then(() => true);
      let bound: NodeJS.Timeout | undefined;
      const outOfTime = new Promise<false>((done) => {
        bound = setTimeout(() => done(false), STOP_BOUND_MS);
      });
      void Promise.race([finished, outOfTime]).then(async (inTime) => {
        clearTimeout(bound);
        const outcome = failure;
        if (!inTime) {
          const cut = [
            server.inFlight() ? `${server.inFlight()} ${server.inFlight() === 1 ? "request" : "requests"} in flight` : null,
            polling ? "the polling pass (the feeds it still holds are free again when their leases run out)" : null,
            pruning ? "pruning (its batch in progress is rolled back)" : null,
          ].filter(Boolean);
          server.cut();
          const line = `stopped after ${STOP_BOUND_MS / 1000} s without finishing: cut ${cut.length ? cut.join(", ") : "the connections left"}`;
          // said now, in the log (what follows, closing, may be what hangs), and not again: the exit status says it too
          log.error(line);
          process.exitCode = 1;
        }
        await Promise.all([fetcher?.close(), reading?.close()]);
        if (outcome) reject(outcome);
        else {
          if (inTime) log.info("stopped");
          resolve();
        }
      });
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    // a database that answers but cannot be prepared (a failing migration): the server stops with that error
    ready.catch(stop);
  });
}

export function addServeCommands(program: Command): void {
  program
    .command("migrate")
    .description("create or update the database schema")
    .action(async () => {
      await withDatabase(async (opened) => console.log(`migrated ${opened.description}`));
    });

  program
    .command("serve")
    .description("serve the feeds over HTTP")
    .addOption(portOption())
    .addOption(hostOption())
    .option("--poll", "also poll the followed feeds in the background")
    .action(async (options: { port?: number; host?: string; poll?: boolean }) => {
      await serveUntilStopped(options);
    });

  program
    .command("start")
    .description("migrate, ingest seeds/ if the database is empty, then serve")
    .addOption(portOption())
    .addOption(hostOption())
    .action(async (options: { port?: number; host?: string }) => {
      await serveUntilStopped({ ...options, seed: true });
    });
}
