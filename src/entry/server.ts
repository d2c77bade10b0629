/** The Node shell around the publishing app. */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import type { AppOptions, Publisher } from "../publish/app";
import type { HeaderLookup } from "../publish/conditional";
import type { VersionBook } from "../publish/version-book";
import type { Database } from "../storage/database";
import { nodeCompressors } from "./compressors";
import { createSite, type SiteOptions } from "./site";

export interface RunningServer {
  /** The address actually bound: http://127.0.0.1:8787, http://0.0.0.0:8787, http://[::1]:8787. */
  url: string;
  /** Bound to 0.0.0.0 or ::, reachable on every interface of the machine. */
  everyInterface: boolean;
  close(): Promise<void>;
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
}

export function startServer(db: Database, options: ServerOptions): Promise<RunningServer> {
  const publisher = createSite({
    db,
    publicUrl: options.publicUrl,
    hubUrl: options.hubUrl,
    adminToken: options.adminToken,
    versions: options.versions,
    pending: options.pending,
    followRefusal: options.followRefusal,
    compressors: nodeCompressors,
  });
  const toApp = getRequestListener(publisher.app.fetch, { hostname: options.hostname });
  const server = createServer((req, res) => {
    if (!sendCached(publisher, req, res)) void toApp(req, res);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, () => {
      const info = server.address() as AddressInfo;
      const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}`,
        everyInterface: host === "0.0.0.0" || host === "[::]",
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

// The hosts and request targets that @hono/node-server puts into the request's URL as they are
// (http://HOST/TARGET); it normalises the others, which therefore go the adapter's way.
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/;
const PLAIN_TARGET = /^\/[!#$&-;=?-[\]_a-z~]*$/;
const DOT_SEGMENT = /\/\.\.?(?:[/?#]|$)/;

/**
 * Writes the cached answer to a feed served before straight into Node's
 * response: the answer the app would give, without a Request and a
 * Response built around it. False when the request needs the app.
 */
function sendCached(publisher: Publisher, req: IncomingMessage, res: ServerResponse): boolean {
  const host = req.headers.host;
  const target = req.url;
  if (req.method !== "GET" || !host || !target || !PLAIN_HOST.test(host) || !PLAIN_TARGET.test(target) || DOT_SEGMENT.test(target)) {
    return false;
  }
  const answer = publisher.cachedAnswer("GET", `http://${host}${target}`, new IncomingHeaders(req));
  if (!answer) return false;
  res.writeHead(answer.init.status, answer.headerList);
  res.end(answer.body);
  return true;
}

// Of these Node keeps the first if a request repeats them; fetch's Headers, as the app reads them, joins them all.
const FIRST_KEPT = new Set([
  "age",
  "authorization",
  "content-length",
  "content-type",
  "etag",
  "expires",
  "from",
  "host",
  "if-modified-since",
  "if-unmodified-since",
  "last-modified",
  "location",
  "max-forwards",
  "proxy-authorization",
  "referer",
  "retry-after",
  "server",
  "user-agent",
]);

/** A Node request's header fields read as fetch's Headers reads them: repeated fields joined with ", ". */
class IncomingHeaders implements HeaderLookup {
  constructor(private readonly req: IncomingMessage) {}

  get(name: string): string | null {
    if (!FIRST_KEPT.has(name)) {
      const value = this.req.headers[name];
      return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
    }
    let joined: string | null = null;
    const raw = this.req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) joined = joined === null ? raw[i + 1]! : `${joined}, ${raw[i + 1]}`;
    }
    return joined;
  }
}
