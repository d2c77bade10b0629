/** The Node shell around the publishing app. */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { FEED_ROUTE, type AppOptions, type Publisher } from "../../publish/app";
import type { HeaderLookup } from "../../publish/conditional";
import type { VersionBook } from "../../publish/version-book";
import type { Database } from "../../storage/database";
import { nodeCompressors } from "./compressors";
import type { Log } from "./log";
import { metricsRefusal, type MetricsAccessRule } from "./metrics-access";
import type { ServerMetrics } from "./metrics";
import { createSite, type SiteOptions } from "../site";

export interface RunningServer {
  /** The address actually bound: http://127.0.0.1:8787, http://0.0.0.0:8787, http://[::1]:8787. */
  url: string;
  /** Bound to 0.0.0.0 or ::, reachable on every interface of the machine. */
  everyInterface: boolean;
  /**
   * Stops accepting, closes the idle keep-alive connections (now, and each one as its request is answered),
   * and resolves once every request in flight is answered and its connection closed.
   */
  close(): Promise<void>;
  /** Requests being answered now. */
  inFlight(): number;
  /** Ends every connection at once, answered or not (a stop past its bound). */
  cut(): void;
}

export interface ServerOptions {
  port: number;
  hostname?: string;
  publicUrl?: string | undefined;
  hubUrl?: string | undefined;
  adminToken?: string | undefined;
  versions?: VersionBook;
  /** See AppOptions.pending: set while the database could not be prepared yet. */
  pending?: AppOptions["pending"];
  /** The admin API's check of a feed URL to follow (AdminOptions.followRefusal). */
  followRefusal?: SiteOptions["followRefusal"];
  /** Counts requests, the feed cache and whatever else it counts, and answers /metrics. */
  metrics?: { counters: ServerMetrics; access: MetricsAccessRule } | undefined;
  /** Where request lines go (FEEDWERK_ACCESS_LOG); without it, requests are not logged. */
  accessLog?: Log | undefined;
}

/** Answered by the server itself, before the app: the Worker has no /metrics. */
const METRICS_PATH = "/metrics";

export function startServer(db: Database, options: ServerOptions): Promise<RunningServer> {
  const publisher = createSite({
    db,
    publicUrl: options.publicUrl,
    hubUrl: options.hubUrl,
    adminToken: options.adminToken,
    versions: options.versions,
    pending: options.pending,
    followRefusal: options.followRefusal,
    // HTML article pages too: Readability and the sanitiser run on Node (the Worker reads text pages alone); loaded with
    // the first page posted, as a server most often gets none
    readPage: async (bytes, fetchedAt, context) => (await import("../../input/page-document")).readPageDocument(bytes, fetchedAt, context),
    compressors: nodeCompressors,
    observer: options.metrics?.counters.observer,
  });
  const toApp = getRequestListener(publisher.app.fetch, { hostname: options.hostname });
  const counters = options.metrics?.counters;
  let inFlight = 0;
  let closing = false;
  // each connection's requests being answered: one with none (opened ahead by a browser, or still sending its
  // request's head) holds nothing a stop must wait for, which Node's closeIdleConnections does not know
  const answering = new Map<Socket, number>();
  const closeUnanswered = () => {
    for (const [socket, requests] of answering) if (requests === 0) socket.destroy();
  };
  const server = createServer((req, res) => {
    const started = performance.now();
    inFlight++;
    const socket = req.socket;
    answering.set(socket, (answering.get(socket) ?? 0) + 1);
    res.once("close", () => {
      inFlight--;
      if (answering.has(socket)) answering.set(socket, answering.get(socket)! - 1);
      // a keep-alive connection answered while the server stops is closed, not kept for a next request
      if (closing) setImmediate(closeUnanswered);
    });
    if (options.accessLog) logRequest(options.accessLog, req, res, started);
    const path = req.url?.split("?", 1)[0];
    if (options.metrics && path === METRICS_PATH) return void serveMetrics(options.metrics, req, res, started);
    if (!sendCached(publisher, req, res)) return void toApp(req, res);
    counters?.answered("GET", FEED_ROUTE, res.statusCode, (performance.now() - started) / 1000);
  });
  server.on("connection", (socket: Socket) => {
    answering.set(socket, 0);
    socket.once("close", () => answering.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, () => {
      const info = server.address() as AddressInfo;
      const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}`,
        everyInterface: host === "0.0.0.0" || host === "[::]",
        close: () =>
          new Promise((done) => {
            closing = true;
            server.close(() => done());
            closeUnanswered();
          }),
        inFlight: () => inFlight,
        cut: () => server.closeAllConnections(),
      });
    });
  });
}

/** GET /metrics, for whom metricsRefusal lets read it. */
async function serveMetrics(metrics: NonNullable<ServerOptions["metrics"]>, req: IncomingMessage, res: ServerResponse, started: number): Promise<void> {
  const answer = async () => {
    if (req.method !== "GET" && req.method !== "HEAD") return { status: 405, headers: { Allow: "GET, HEAD" }, body: "" };
    const refusal = await metricsRefusal(req.socket.remoteAddress, req.headers, metrics.access);
    if (refusal) return refusal;
    const { contentType, body } = await metrics.counters.exposition();
    return { status: 200, headers: { "Content-Type": contentType, "Cache-Control": "no-store" }, body };
  };
  const { status, headers, body } = await answer().catch((error: unknown) => {
    console.error(`${METRICS_PATH}: 500: ${(error as Error).message}`);
    return { status: 500, headers: {}, body: "Internal server error\n" };
  });
  res.writeHead(status, headers);
  res.end(req.method === "HEAD" ? undefined : body);
  metrics.counters.answered(req.method ?? "GET", METRICS_PATH, status, (performance.now() - started) / 1000);
}

/** One line per request answered: its path without the query (which may carry a token), status and time. */
function logRequest(log: Log, req: IncomingMessage, res: ServerResponse, started: number): void {
  res.once("finish", () => {
    const path = req.url?.split("?", 1)[0] ?? "";
    const ms = Math.round((performance.now() - started) * 10) / 10;
    log.info({ method: req.method, path, status: res.statusCode, ms, remote: req.socket.remoteAddress }, `${req.method} ${path} ${res.statusCode} ${ms} ms`);
  });
}

/**
 * Writes the cached answer to a feed served before straight into Node's
 * response: the answer the app would give, without a Request and a
 * Response built around it. False when the request needs the app.
 *
 * The URL is looked up as the request spells it (http://HOST/TARGET), with
 * no parsing or checking of its own: only URLs that @hono/node-server gave
 * the app are known, and it gives a URL spelled like that as it is (a URL it
 * would normalise or refuse is spelled otherwise, so it is not known and goes
 * the app's way). An absolute-form target (GET http://…) does not start with
 * a slash and goes the app's way too, and so does a Host that holds more than
 * a name and a port: with a path or userinfo in it, HOST and TARGET could
 * together spell a URL known from an absolute-form request.
 */
function sendCached(publisher: Publisher, req: IncomingMessage, res: ServerResponse): boolean {
  const target = req.url;
  if (req.method !== "GET" || !target || target.charCodeAt(0) !== SLASH) return false;
  const headers = new RawHeaders(req.rawHeaders);
  const host = headers.first("host");
  // a host that carries more than a name and a port (a path, userinfo) would spell a known URL the app refuses with 400
  if (!host || !PLAIN_HOST.test(host)) return false;
  const answer = publisher.cachedAnswer("GET", `http://${host}${target}`, headers);
  if (!answer) return false;
  res.writeHead(answer.init.status, answer.headerList);
  res.end(answer.body);
  return true;
}

const SLASH = 0x2f;
const PLAIN_HOST = /^[A-Za-z0-9._~:[\]-]+$/;

/**
 * A Node request's header fields read from its raw list, as fetch's Headers
 * (what the app reads) reads them: @hono/node-server builds those from the
 * same list, so a repeated field is joined with ", " here too, where Node's
 * `req.headers` keeps only the first of some (If-Modified-Since, Host).
 */
class RawHeaders implements HeaderLookup {
  constructor(private readonly raw: string[]) {}

  /** `name` is lower case. */
  get(name: string): string | null {
    let joined: string | null = null;
    const raw = this.raw;
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) joined = joined === null ? raw[i + 1]! : `${joined}, ${raw[i + 1]}`;
    }
    return joined;
  }

  /** The first of the fields named `name` (lower case): what Node and @hono/node-server take of a repeated Host. */
  first(name: string): string | null {
    const raw = this.raw;
    for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) return raw[i + 1]!;
    return null;
  }
}
