/**
 * Fetching feeds over HTTP with undici, bounded in every dimension: connect
 * and total time, body size (counted after decompression, so a gzip bomb is
 * cut off), redirects (each hop checked again) and concurrency per host.
 * Every connection is checked against the address policy at the moment it
 * is made, with the address actually connected to, so a DNS answer that
 * changes between a check and the connect cannot sneak past it.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import type { Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate, inflateRawSync, inflateSync } from "node:zlib";
import { Agent, buildConnector, request } from "undici";
import { type AddressPolicy, allowHint } from "./address-policy";
import { HostSlots } from "./host-slots";

export interface FetchLimits {
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  /** Fetches at once from one host (origin); the others wait, and their time limit starts when their turn comes. */
  perHost: number;
  userAgent: string;
}

export const DEFAULT_LIMITS: FetchLimits = {
  connectTimeoutMs: 10_000,
  totalTimeoutMs: 30_000,
  maxBytes: 5 * 1024 * 1024,
  maxRedirects: 5,
  perHost: 2,
  userAgent: "feedwerk/0.1 (feed aggregator)",
};

export interface Validators {
  etag?: string | null;
  lastModified?: string | null;
}

export type FetchOutcome =
  | {
      status: "ok";
      /** Where the body finally came from. */
      url: string;
      /** The new address when every redirect on the way was permanent (301, 308). */
      movedTo: string | null;
      bytes: Uint8Array;
      contentType: string | null;
      etag: string | null;
      lastModified: string | null;
      cacheControl: string | null;
    }
  | { status: "not-modified"; url: string; movedTo: string | null; cacheControl: string | null };

export class FetchError extends Error {
  constructor(
    message: string,
    /** For 429 and 503: how long the server asked us to wait. */
    readonly retryAfterMs: number | null = null,
    readonly httpStatus: number | null = null,
  ) {
    super(message);
    this.name = "FetchError";
  }
}

export class FeedFetcher {
  private readonly agent: Agent;
  private readonly slots: HostSlots;
  /** Fetches at once from one origin (FetchLimits.perHost): what a polling pass gives its workers of one origin at a time. */
  readonly perOrigin: number;

  constructor(
    private readonly policy: AddressPolicy,
    private readonly limits: FetchLimits = DEFAULT_LIMITS,
    /** Name resolution; tests replace it to play a DNS answer that changes after the check. */
    lookup?: LookupFunction,
  ) {
    this.slots = new HostSlots(limits.perHost);
    this.perOrigin = limits.perHost;
    const connect = buildConnector({ timeout: limits.connectTimeoutMs, lookup: lookup ?? (this.lookup as unknown as LookupFunction) });
    this.agent = new Agent({
      connections: limits.perHost,
      headersTimeout: limits.totalTimeoutMs,
      bodyTimeout: limits.totalTimeoutMs,
      connect: (options, callback) => {
        connect(options, (error, socket) => {
          if (error || !socket) return callback(error ?? new Error("no socket"), null);
          const refusal = this.policy.hostAllowed(options.hostname) ? null : this.policy.refusal(socket.remoteAddress ?? "");
          if (refusal) {
            socket.destroy();
            return callback(new FetchError(`refused to connect to ${options.hostname}: ${refusal}`), null);
          }
          callback(null, socket);
        });
      },
    });
  }

  /** Resolves, dropping the addresses the policy refuses, so that a host with a public and a private address still works. */
  private readonly lookup = (hostname: string, options: object, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error);
      const usable = this.policy.hostAllowed(hostname) ? addresses : addresses.filter((a) => !this.policy.refusal(a.address));
      if (!usable.length) {
        // no address at all is not a refusal the setting could lift
        const why = addresses.length
          ? `${this.policy.refusal(addresses[0]!.address)}${allowHint(hostname, addresses[0]!.address)}`
          : `${hostname} has no address`;
        return callback(new FetchError(`refused to fetch from ${hostname}: ${why}`));
      }
      if ((options as { all?: boolean }).all) callback(null, usable);
      else callback(null, usable[0]!.address, usable[0]!.family);
    });
  };

  /** `cancel` abandons the fetch (the poller is stopping): it rejects at once, as a FetchError saying so. */
  async fetch(url: string, validators: Validators = {}, cancel?: AbortSignal): Promise<FetchOutcome> {
    // One controller per fetch, tied to `cancel` by a listener removed afterwards: AbortSignal.any
    // against a signal that lives as long as the server keeps every fetch's signal on Node 20
    // (the parent's list of dependants never shrinks), megabytes per 100,000 fetches.
    const controller = new AbortController();
    // The time limit counts the time the fetch holds a turn at a host (host-slots.ts), over all its hops:
    // not the waits for a turn, at the first host or at one a redirect leads to.
    let timer: NodeJS.Timeout | undefined;
    let left = this.limits.totalTimeoutMs;
    let since = 0;
    const clock = {
      start: () => {
        since = performance.now();
        timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${this.limits.totalTimeoutMs} ms`, "TimeoutError")), Math.max(0, left));
      },
      stop: () => {
        clearTimeout(timer);
        left -= performance.now() - since;
      },
    };
    const onCancel = () => controller.abort(cancel?.reason);
    if (cancel?.aborted) onCancel();
    else cancel?.addEventListener("abort", onCancel, { once: true });
    try {
      return await this.fetchWithin(url, validators, controller.signal, clock);
    } finally {
      clearTimeout(timer);
      cancel?.removeEventListener("abort", onCancel);
    }
  }

  private async fetchWithin(url: string, validators: Validators, signal: AbortSignal, clock: { start(): void; stop(): void }): Promise<FetchOutcome> {
    let current = url;
    let permanent = true;
    for (let hop = 0; ; hop++) {
      const target = this.check(current);
      let release: () => void;
      try {
        release = await this.slots.take(new URL(target).origin, signal);
      } catch (error) {
        throw asFetchError(error, current, signal, this.limits.totalTimeoutMs);
      }
      clock.start();
      try {
        const outcome = await this.hop(url, current, target, validators, signal, hop, permanent);
        if (outcome.status !== "redirect") return outcome;
        permanent = outcome.permanent;
        current = outcome.location;
      } finally {
        clock.stop();
        release();
      }
    }
  }

  /** One request of a fetch, holding its host's slot until its answer is read: the outcome, or where it redirects. */
  private async hop(
    url: string,
    current: string,
    target: string,
    validators: Validators,
    signal: AbortSignal,
    hop: number,
    permanentSoFar: boolean,
  ): Promise<FetchOutcome | { status: "redirect"; location: string; permanent: boolean }> {
    let permanent = permanentSoFar;
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await this.send(target, validators, signal);
    } catch (error) {
      throw asFetchError(error, current, signal, this.limits.totalTimeoutMs);
    }
    const header = (name: string) => {
      const v = res.headers[name];
      return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
    };
    const movedTo = permanent && current !== url ? current : null;

    if ([301, 302, 303, 307, 308].includes(res.statusCode)) {
      await res.body.dump();
      const location = header("location");
      if (!location) throw new FetchError(`${current}: redirect (${res.statusCode}) without a Location`, null, res.statusCode);
      if (hop + 1 > this.limits.maxRedirects) throw new FetchError(`${url}: more than ${this.limits.maxRedirects} redirects`);
      permanent &&= res.statusCode === 301 || res.statusCode === 308;
      return { status: "redirect", location: new URL(location, current).toString(), permanent };
    }
    if (res.statusCode === 304) {
      await res.body.dump();
      return { status: "not-modified", url: current, movedTo, cacheControl: header("cache-control") };
    }
    if (res.statusCode === 429 || res.statusCode === 503) {
      await res.body.dump();
      throw new FetchError(`${current}: HTTP ${res.statusCode}`, retryAfter(header("retry-after")), res.statusCode);
    }
    if (res.statusCode < 200 || res.statusCode > 299) {
      await res.body.dump();
      throw new FetchError(`${current}: HTTP ${res.statusCode}`, null, res.statusCode);
    }
    const declared = Number(header("content-length"));
    if (!header("content-encoding") && declared > this.limits.maxBytes) {
      res.body.destroy();
      throw new FetchError(`${current}: body of ${declared} bytes is over the limit of ${this.limits.maxBytes}`);
    }
    const bytes = await this.readBody(res.body, header("content-encoding"), current, signal);
    return {
      status: "ok",
      url: current,
      movedTo,
      bytes,
      contentType: header("content-type"),
      etag: header("etag"),
      lastModified: header("last-modified"),
      cacheControl: header("cache-control"),
    };
  }

  private check(url: string): string {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new FetchError(`'${url}' is not a URL`);
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new FetchError(`${url}: only http and https are fetched`);
    if (u.username || u.password) throw new FetchError(`${url}: URLs with credentials are not fetched`);
    const host = u.hostname.replace(/^\[|\]$/g, "");
    // literal addresses never reach the lookup: judge them here
    if (isIP(host) && !this.policy.hostAllowed(host)) {
      const refusal = this.policy.refusal(host);
      if (refusal) throw new FetchError(`refused to fetch ${url}: ${refusal}${allowHint(host)}`);
    }
    return u.toString();
  }

  /**
   * One GET. A kept-alive connection the server has closed meanwhile fails
   * before any answer (a reset, "other side closed"); a GET is idempotent,
   * so it is sent once more, as browsers do, on a fresh connection.
   */
  private async send(target: string, validators: Validators, signal: AbortSignal): Promise<Awaited<ReturnType<typeof request>>> {
    const attempt = () =>
      request(target, {
        dispatcher: this.agent,
        method: "GET",
        signal,
        headers: {
          "user-agent": this.limits.userAgent,
          accept: "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, application/json;q=0.8, text/xml;q=0.8, */*;q=0.5",
          "accept-encoding": "gzip, deflate, br",
          ...(validators.etag ? { "if-none-match": validators.etag } : {}),
          ...(validators.lastModified ? { "if-modified-since": validators.lastModified } : {}),
        },
      });
    try {
      return await attempt();
    } catch (error) {
      if (signal.aborted || !closedBeforeAnswer(error)) throw error;
      return attempt();
    }
  }

  private async readBody(body: Readable, encoding: string | null, url: string, signal: AbortSignal): Promise<Uint8Array> {
    const codings = (encoding ?? "")
      .toLowerCase()
      .split(",")
      .map((c) => c.trim())
      .filter((c) => c && c !== "identity");
    // "deflate" is zlib-wrapped by the standard and raw by many servers: read it whole, then try both
    if (codings.length === 1 && codings[0] === "deflate") {
      const compressed = await this.readBody(body, null, url, signal);
      const options = { maxOutputLength: this.limits.maxBytes };
      try {
        return new Uint8Array(inflateSync(compressed, options));
      } catch (error) {
        if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw new FetchError(`${url}: body over the limit of ${this.limits.maxBytes} bytes`);
        try {
          return new Uint8Array(inflateRawSync(compressed, options));
        } catch (raw) {
          if ((raw as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw new FetchError(`${url}: body over the limit of ${this.limits.maxBytes} bytes`);
          throw new FetchError(`${url}: deflate body that does not inflate`);
        }
      }
    }
    let stream: Readable = body;
    for (const coding of codings.reverse()) {
      const decoder =
        coding === "gzip" || coding === "x-gzip" ? createGunzip() : coding === "deflate" ? createInflate() : coding === "br" ? createBrotliDecompress() : null;
      if (!decoder) {
        body.destroy();
        throw new FetchError(`${url}: unsupported content encoding '${coding}'`);
      }
      stream = stream.pipe(decoder);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of stream) {
        size += (chunk as Uint8Array).length;
        if (size > this.limits.maxBytes) {
          body.destroy();
          stream.destroy();
          throw new FetchError(`${url}: body over the limit of ${this.limits.maxBytes} bytes`);
        }
        chunks.push(chunk as Uint8Array);
      }
    } catch (error) {
      throw asFetchError(error, url, signal, this.limits.totalTimeoutMs);
    }
    const out = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

function retryAfter(value: string | null): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

function asFetchError(error: unknown, url: string, signal: AbortSignal, limitMs: number): FetchError {
  if (error instanceof FetchError) return error;
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof FetchError) return cause;
  if (signal.aborted) {
    const timedOut = (signal.reason as { name?: string } | undefined)?.name === "TimeoutError";
    return new FetchError(timedOut ? `${url}: no complete answer within the time limit of ${limitMs / 1000} s` : `${url}: fetch abandoned`);
  }
  const e = error as { code?: string; message?: string };
  const message = e.message ?? String(error);
  // the code once: Node's own messages often hold it already ("getaddrinfo ENOTFOUND host")
  const code = e.code && !message.includes(e.code) ? `${e.code} ` : "";
  return new FetchError(`${url}: ${code}${message}`.trim());
}

/** The errors of a request whose connection was gone before any answer came. */
function closedBeforeAnswer(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === "ECONNRESET" || code === "UND_ERR_SOCKET" || code === "EPIPE";
}
