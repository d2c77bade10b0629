/** HTTP validators and content negotiation for cached feeds (RFC 9110). */
import type { Encoding } from "./feed-cache";

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
export function notModified(headers: Headers, etagBase: string, lastModified: Date): boolean {
  const ifNoneMatch = headers.get("if-none-match");
  if (ifNoneMatch !== null) {
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
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    q.set(name, qParam ? Number(qParam.slice(2)) || 0 : 1);
  }
  const weight = (enc: Encoding) => q.get(enc) ?? q.get("*") ?? 0;
  let best: Encoding | null = null;
  for (const enc of ["br", "gzip"] as const) {
    if (available.includes(enc) && weight(enc) > 0 && (!best || weight(enc) > weight(best))) best = enc;
  }
  return best;
}
