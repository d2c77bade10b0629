/** HTTP validators and content negotiation for cached feeds (RFC 9110). */
import type { Encoding } from "./feed-cache";

/** A request's headers as far as validators and negotiation read them: fetch's Headers, or a Node request's. */
export interface HeaderLookup {
  /** The field's value, repeated fields joined with ", "; null when absent. */
  get(name: string): string | null;
}

/** A strong validator from the bytes themselves (Web Crypto: native in Node and in Workers). */
export async function strongTag(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  let hex = "";
  for (let i = 0; i < 16; i++) hex += digest[i]!.toString(16).padStart(2, "0");
  return hex;
}

/** ETags of the encoded forms carry a suffix; they validate as the identity body does. */
export function etagFor(base: string, encoding: Encoding | null): string {
  return `"${base}${encoding ? `-${encoding}` : ""}"`;
}

/**
 * Whether the client's copy is current: If-None-Match (weak comparison,
 * any encoding suffix ignored) decides when present, else If-Modified-Since.
 */
export function notModified(headers: HeaderLookup, etagBase: string, lastModified: Date): boolean {
  const ifNoneMatch = headers.get("if-none-match");
  if (ifNoneMatch !== null) {
    // the usual revalidation: the one tag this server sent, as it sent it
    if (ifNoneMatch.startsWith(etagBase, 1) && ifNoneMatch.charCodeAt(0) === 34) {
      const rest = ifNoneMatch.slice(etagBase.length + 1);
      if (rest === '"' || rest === '-br"' || rest === '-gzip"') return true;
    }
    if (ifNoneMatch.trim() === "*") return true;
    return ifNoneMatch.split(",").some((raw) => {
      const tag = raw.trim().replace(/^W\//, "").replace(/^"|"$/g, "");
      return tag.replace(/-(br|gzip)$/, "") === etagBase;
    });
  }
  const since = headers.get("if-modified-since");
  if (since === null) return false;
  const t = Date.parse(since);
  return !Number.isNaN(t) && Math.floor(lastModified.getTime() / 1000) * 1000 <= t;
}

/** The best encoding the client accepts and we can produce: br, then gzip. */
export function chooseEncoding(acceptEncoding: string | null, available: Encoding[]): Encoding | null {
  if (!acceptEncoding) return null;
  const weight = encodingWeights(acceptEncoding);
  let best: Encoding | null = null;
  for (const enc of ["br", "gzip"] as const) {
    if (available.includes(enc) && weight[enc] > 0 && (!best || weight[enc] > weight[best])) best = enc;
  }
  return best;
}

// Clients send few distinct Accept-Encoding headers, and each feed poll sends one: parsed once each.
const weightsOfHeader = new Map<string, Record<Encoding, number>>();
const MAX_HEADERS_KEPT = 256;

/** The weight an Accept-Encoding header gives br and gzip (0: not acceptable). */
function encodingWeights(acceptEncoding: string): Record<Encoding, number> {
  let weights = weightsOfHeader.get(acceptEncoding);
  if (weights) return weights;
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    q.set(name, qParam ? Number(qParam.slice(2)) || 0 : 1);
  }
  weights = { br: q.get("br") ?? q.get("*") ?? 0, gzip: q.get("gzip") ?? q.get("*") ?? 0 };
  if (weightsOfHeader.size >= MAX_HEADERS_KEPT) weightsOfHeader.clear();
  weightsOfHeader.set(acceptEncoding, weights);
  return weights;
}
