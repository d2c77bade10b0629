/**
 * The Node server's metrics, in Prometheus's text format at /metrics (prom-client): requests by route and
 * status with their latency, how the feed cache served feeds, polls by result with their fetch latency,
 * items new, updated and pruned; at each scrape, the feeds due and the leases held (one cheap query), and
 * the database pools' size; and prom-client's process metrics (event-loop delay, memory, handles).
 * Counters live in this process only: the Worker's isolates share nothing, so it has none (docs/operating.md, Metrics).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Fetcher, PollResult } from "../../pipeline/poll-feeds";
import type { PublishObserver } from "../../publish/observer";
import type { Database } from "../../storage/database";
import { pollingLoad } from "../../storage/sources";

/** Longest a scrape waits for the polling load: a database that does not answer must not hold the scrape. */
const LOAD_DEADLINE_MS = 2_000;
/** Methods counted by name; any other is "other", so that a client cannot make up labels. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export interface MetricsOptions {
  /** Where the polling load is read at scrape time; without it there are no feed gauges. */
  db?: Database;
  /** The database clients and the most connections each opens (OpenDatabase.maxConnections). */
  pools?: { name: string; maxConnections: number | undefined }[];
}

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: "feedwerk_http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: "feedwerk_http_request_duration_seconds",
    help: "Time to answer an HTTP request (to its response's head), by route pattern",
    labelNames: ["route"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly feedCache = new Counter({
    name: "feedwerk_feed_cache_total",
    help: "Feeds served: from the rendered-feed cache (hit), rendered for the request (miss), or stale during a database outage",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  private readonly notModified = new Counter({
    name: "feedwerk_feed_not_modified_total",
    help: "Feed requests answered 304 Not Modified",
    registers: [this.registry],
  });
  private readonly polls = new Counter({
    name: "feedwerk_polls_total",
    help: "Feeds polled, by result: stored, not_modified, failed, lease_lost",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  private readonly passes = new Counter({
    name: "feedwerk_poll_passes_total",
    help: "Polling passes ended, by result: done, failed (the pass itself, not one feed)",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  private readonly fetchLatency = new Histogram({
    name: "feedwerk_feed_fetch_duration_seconds",
    help: "Time to fetch a followed feed, by result: ok, not_modified, failed",
    labelNames: ["result"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly items = new Counter({
    name: "feedwerk_items_total",
    help: "Items changed by polling (new, updated) and by retention (pruned)",
    labelNames: ["change"] as const,
    registers: [this.registry],
  });

  constructor(options: MetricsOptions = {}) {
    collectDefaultMetrics({ register: this.registry });
    for (const change of ["new", "updated", "pruned"]) this.items.inc({ change }, 0);
    for (const result of ["hit", "miss", "stale"]) this.feedCache.inc({ result }, 0);
    this.notModified.inc(0);
    if (options.db) this.polling(options.db);
    if (options.pools?.length) {
      const pool = new Gauge({
        name: "feedwerk_database_pool_max_connections",
        help: "Connections a database client opens at most (the postgres driver tells no more; PGlite is one session in this process)",
        labelNames: ["pool"] as const,
        registers: [this.registry],
      });
      for (const p of options.pools) if (p.maxConnections !== undefined) pool.set({ pool: p.name }, p.maxConnections);
    }
  }

  /** What the publishing app tells: answers and the feed cache. */
  readonly observer: PublishObserver = {
    answered: ({ method, route, status, seconds }) => this.answered(method, route, status, seconds),
    feedCache: (result, notModified) => {
      this.feedCache.inc({ result });
      if (notModified) this.notModified.inc();
    },
  };

  /** A request answered, the app's or the server's own (the hot path, /metrics). */
  answered(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method: METHODS.has(method) ? method : "other", route, status: String(status) });
    this.latency.observe({ route }, seconds);
  }

  /** One feed of a polling pass done. */
  polled(result: PollResult): void {
    this.polls.inc({ result: result.outcome.replace(" ", "_") });
    if (result.report?.new) this.items.inc({ change: "new" }, result.report.new);
    if (result.report?.updated) this.items.inc({ change: "updated" }, result.report.updated);
  }

  passEnded(ok: boolean): void {
    this.passes.inc({ result: ok ? "done" : "failed" });
  }

  pruned(items: number): void {
    this.items.inc({ change: "pruned" }, items);
  }

  /** The fetcher, with each fetch's time recorded. */
  timed(fetcher: Fetcher): Fetcher {
    return {
      perOrigin: fetcher.perOrigin,
      fetch: async (url, validators, cancel) => {
        const stop = this.fetchLatency.startTimer();
        try {
          const out = await fetcher.fetch(url, validators, cancel);
          stop({ result: out.status === "not-modified" ? "not_modified" : "ok" });
          return out;
        } catch (error) {
          // a fetch abandoned because the server is stopping is no result of the feed's
          if (!cancel?.aborted) stop({ result: "failed" });
          throw error;
        }
      },
    };
  }

  /** The polling load of the scrape under way: one query answers all its gauges. */
  private load: Promise<Awaited<ReturnType<typeof pollingLoad>> | null> | null = null;

  /** The text for a scrape, and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    this.load = null;
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** The gauges read at scrape time: one query answers all three; a database that fails it says so in feedwerk_database_up. */
  private polling(db: Database): void {
    const load = () => {
      if (!this.load) {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("no answer in time")), LOAD_DEADLINE_MS);
        });
        this.load = Promise.race([pollingLoad(db), deadline])
          .finally(() => clearTimeout(timer))
          .catch(() => null);
      }
      return this.load;
    };
    const gauge = (name: string, help: string, read: (l: Awaited<ReturnType<typeof pollingLoad>>) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          const l = await load();
          // unknown is no zero
          this.set(l ? read(l) : Number.NaN);
        },
      });
    gauge("feedwerk_feeds_followed", "Feeds followed", (l) => l.followed);
    gauge("feedwerk_feeds_due", "Feeds due to be polled and claimed by no poller", (l) => l.due);
    gauge("feedwerk_feed_leases_held", "Feeds a poller (this process or another) holds a lease on", (l) => l.leased);
    new Gauge({
      name: "feedwerk_database_up",
      help: "1 when the database answered this scrape's query, else 0",
      registers: [this.registry],
      async collect() {
        this.set((await load()) ? 1 : 0);
      },
    });
  }
}
