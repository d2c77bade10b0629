/** migrate, serve and start: the database made ready, and the feeds served (with `--poll`, kept fresh) until stopped. */
import type { Command } from "commander";
import { sql } from "drizzle-orm";
import { AddressPolicy } from "../../../input/fetch/address-policy";
import { VersionBook } from "../../../publish/version-book";
import { SERVING_STATEMENT_TIMEOUT_MS } from "../../../storage/connection-bounds";
import { openDatabase, type OpenDatabase } from "../../../storage/open";
import { countItems } from "../../../storage/queries";
import { packageFile } from "../../../storage/package-root";
import { hostOption, portOption } from "../arguments";
import { prepareForServing, withDatabase, type Preparation } from "../database";
import { displayPath } from "../named-files";
import { readConfig, type Config } from "../../config";
import { createLog, routeConsole, type Log } from "../../node/log";
import { ServerMetrics } from "../../node/metrics";
import { startServer, type RunningServer } from "../../node/server";
import { EXIT_ON, SAME_SIGNAL_MS, type StopSignal } from "../stop-signals";
import { backgroundWork, type BackgroundWork } from "./serve-polling";

const SEEDS = packageFile("seeds");

/**
 * How long a stop may take to answer the requests in flight, store the document being stored and give back the
 * feeds claimed; then the rest is cut, and closing the fetcher, the threads and the databases gets CLOSE_MS: the
 * whole stop fits within docker's grace of 10 s (systemd's is 90 s) before they kill.
 */
const STOP_BOUND_MS = 7_000;
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
  sayWhereServed(server, opened, config, log);

  // serve --poll: the polling pass in the background, one at a time
  const work = backgroundWork(poll, { db: background.db, config, metrics, versions, addresses, log });
  // polling and pruning begin once the database is prepared
  const ready = preparation.done.then(async () => {
    await offerToCommands(opened, log);
    work.start();
  });
  await untilStopped(server, preparation, work, ready, log);
}

/** Where the server answers: its feeds, its admin API and metrics, and where other commands reach an embedded database. */
function sayWhereServed(server: RunningServer, opened: OpenDatabase, config: Config, log: Log): void {
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
}

/** The embedded database offered to the other commands, once the server has prepared it; said where, or why not. */
async function offerToCommands(opened: OpenDatabase, log: Log): Promise<void> {
  const shared = await opened.offerToCommands?.();
  if (shared && "path" in shared) log.info(`other commands reach the embedded database through ${displayPath(shared.path)} while this runs`);
  else if (shared) log.warn(`other commands cannot reach the embedded database while this runs: ${shared.unavailable}`);
}

/**
 * Serves until SIGINT or SIGTERM, or until the database turns out not to be preparable (`ready` rejects: the server
 * stops with that error); then stops within STOP_BOUND_MS, cutting what is left, and closes within CLOSE_MS more.
 */
function untilStopped(server: RunningServer, preparation: Preparation, work: BackgroundWork, ready: Promise<void>, log: Log): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let stoppingSince = 0;
    const onSignal = (signal: StopSignal) => {
      if (stoppingSince) {
        // one Ctrl-C arrives twice under `npm start`: the terminal sends it to npm and to this process, and npm passes it on
        if (Date.now() - stoppingSince < SAME_SIGNAL_MS) return;
        log.warn(`${signal} again: exiting now, without finishing the stop`);
        process.exit(EXIT_ON[signal]);
      }
      log.info(`stopping (${signal}): no new requests; answering those in flight and finishing the polling pass, for ${STOP_BOUND_MS / 1000} s at most`);
      stop();
    };
    const stop = (failure?: unknown) => {
      if (stoppingSince) return;
      stoppingSince = Date.now();
      preparation.cancel();
      work.stop();
      // one deadline for all of it: whatever hangs (a database that does not answer its close), the process ends
      setTimeout(() => {
        log.error(`stop: still closing after ${(STOP_BOUND_MS + CLOSE_MS) / 1000} s: exiting`);
        process.exit(1);
      }, STOP_BOUND_MS + CLOSE_MS).unref();
      // the server stops accepting at once, while the pass gives back what it holds
      const finished = Promise.all([server.close(), work.polling, work.pruning]).then(() => true);
      let bound: NodeJS.Timeout | undefined;
      const outOfTime = new Promise<false>((done) => {
        bound = setTimeout(() => done(false), STOP_BOUND_MS);
      });
      void Promise.race([finished, outOfTime]).then(async (inTime) => {
        clearTimeout(bound);
        const outcome = failure;
        if (!inTime) cutWhatIsLeft(server, work, log);
        await work.close();
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

/** A stop past its bound: the connections cut, and what was cut said. */
function cutWhatIsLeft(server: RunningServer, work: BackgroundWork, log: Log): void {
  const cut = [
    server.inFlight() ? `${server.inFlight()} ${server.inFlight() === 1 ? "request" : "requests"} in flight` : null,
    work.polling ? "the polling pass (the feeds it still holds are free again when their leases run out)" : null,
    work.pruning ? "pruning (its batch in progress is rolled back)" : null,
  ].filter(Boolean);
  server.cut();
  const line = `stopped after ${STOP_BOUND_MS / 1000} s without finishing: cut ${cut.length ? cut.join(", ") : "the connections left"}`;
  // said now, in the log (what follows, closing, may be what hangs), and not again: the exit status says it too
  log.error(line);
  process.exitCode = 1;
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
