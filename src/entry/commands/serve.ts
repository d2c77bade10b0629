/** migrate, serve and start: the database made ready, and the feeds served (with `--poll`, kept fresh) until stopped. */
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { AddressPolicy } from "../../input/fetch/address-policy";
import { FeedFetcher } from "../../input/fetch/http-fetch";
import { isoSeconds } from "../../normalise/item";
import { pollFeeds } from "../../pipeline/poll-feeds";
import { describePrune, firstPruneDelayMs, nextPruneDelayMs, pruneByPolicy } from "../../pipeline/prune-schedule";
import { VersionBook } from "../../publish/version-book";
import type { OpenDatabase } from "../../storage/open";
import { countItems } from "../../storage/queries";
import { hostOption, portOption } from "../cli/arguments";
import { withDatabase } from "../cli/database";
import { rootMessage } from "../cli/failures";
import { notifyHub } from "../cli/hub-notice";
import { pollerName } from "../cli/poller-name";
import { displayPath } from "../cli/named-files";
import { readConfig } from "../config";
import { FeedReadingPool } from "../feed-reading";
import { startServer } from "../server";
import { ingestPaths } from "./pages";

const SEEDS = fileURLToPath(new URL("../../../seeds", import.meta.url));

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
  let pruning: Promise<void> | null = null;
  let stopped = false;
  const fetcher = poll ? new FeedFetcher(new AddressPolicy(readConfig().allowedHosts)) : null;
  const reading = poll ? new FeedReadingPool() : null;
  const pass = () => {
    if (!fetcher || polling || pruning) return;
    polling = pollFeeds(opened.db, fetcher, {
      owner: pollerName(),
      leaseSeconds: config.leaseSeconds,
      reader: reading?.read,
      onDone: (r) => {
        if (r.outcome === "failed") console.error(`poll: ${r.source.url}: ${r.error}`);
      },
    })
      .then(async (summary) => {
        if (summary.withNews > 0) {
          versions.invalidate();
          console.log(`poll: ${summary.feeds} ${summary.feeds === 1 ? "feed" : "feeds"} read, ${summary.withNews} with news`);
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

  // serve --poll prunes too: what polling brings in, retention takes out again; after the pass running, never beside it
  let pruneTimer: NodeJS.Timeout | null = null;
  const prunePass = () => {
    pruning = Promise.resolve(polling)
      .then(() => pruneByPolicy(opened.db, config, new Date()))
      .then(async (report) => {
        if (!report) return;
        console.log(`prune: removed ${describePrune(report)} last seen before ${isoSeconds(report.cutoff)}`);
        if (report.items) {
          versions.invalidate();
          await notifyHub(new Set(report.changedTags), true);
        }
      })
      .catch((error: unknown) => console.error(`prune: ${rootMessage(error)}`))
      .finally(() => {
        pruning = null;
        if (!stopped) pruneTimer = setTimeout(prunePass, nextPruneDelayMs(config));
      });
  };
  if (fetcher && config.retainDays !== null) {
    console.log(
      `  pruning items last seen over ${config.retainDays} days ago every ${config.pruneEveryHours} h${config.keepTags.length ? ` (kept: tags ${config.keepTags.join(", ")})` : ""}`,
    );
    pruneTimer = setTimeout(prunePass, firstPruneDelayMs());
  }

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      if (timer) clearInterval(timer);
      stopped = true;
      if (pruneTimer) clearTimeout(pruneTimer);
      void Promise.all([polling, pruning])
        .then(() => server.close())
        .then(() => Promise.all([fetcher?.close(), reading?.close()]))
        .then(() => resolve());
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
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
}
