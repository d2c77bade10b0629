/**
 * Who may read /metrics: a request from this machine (loopback), and any other only with
 * FEEDWERK_METRICS_TOKEN as a bearer token, compared in constant time as the admin API compares its token
 * (hono's timingSafeEqual, which bearerAuth uses). Behind a reverse proxy on the same machine every request
 * comes from loopback, so loopback is no proof of a local client there: with FEEDWERK_PUBLIC_URL set (the
 * sign of a proxy in front), and for any request that carries a proxy's forwarding header, the token is
 * needed from loopback too.
 */
import type { IncomingHttpHeaders } from "node:http";
import { timingSafeEqual } from "hono/utils/buffer";

export interface MetricsAccessRule {
  /** FEEDWERK_METRICS_TOKEN; without it, only loopback (and not behind a proxy) reads /metrics. */
  token: string | undefined;
  /** FEEDWERK_PUBLIC_URL is set: a proxy forwards the public's requests from loopback. */
  behindProxy: boolean;
}

/** Why a request may not read /metrics, as the answer to give; null when it may. */
export interface MetricsRefusal {
  status: 401 | 403;
  headers: Record<string, string>;
  body: string;
}

const FORWARDING_HEADERS = ["forwarded", "x-forwarded-for", "x-real-ip"];

export async function metricsRefusal(remoteAddress: string | undefined, headers: IncomingHttpHeaders, rule: MetricsAccessRule): Promise<MetricsRefusal | null> {
  const forwarded = FORWARDING_HEADERS.some((name) => headers[name] !== undefined);
  if (isLoopback(remoteAddress) && !forwarded && !rule.behindProxy) return null;
  const noStore = { "Cache-Control": "no-store", "Content-Type": "text/plain; charset=utf-8" };
  if (!rule.token) {
    const why = rule.behindProxy ? "FEEDWERK_PUBLIC_URL is set" : "this request is not from this machine";
    return { status: 403, headers: noStore, body: `/metrics needs FEEDWERK_METRICS_TOKEN, which is not set (${why})\n` };
  }
  const given = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(headers.authorization ?? "")?.[1];
  if (given !== undefined && (await timingSafeEqual(rule.token, given))) return null;
  return {
    status: 401,
    headers: { ...noStore, "WWW-Authenticate": `Bearer realm="feedwerk metrics"${given === undefined ? "" : ', error="invalid_token"'}` },
    body: "/metrics needs the metrics token: Authorization: Bearer …\n",
  };
}

/** 127.0.0.0/8 and ::1, also as IPv4 mapped into IPv6 (::ffff:127.0.0.1). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || address === "::1";
}
