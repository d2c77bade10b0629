/**
 * SHA-256 as hex: the ids and content hashes of items, and the hashes of
 * fetched bodies. node:crypto's createHash rather than a JavaScript SHA-256
 * or Web Crypto: it is native and synchronous, a hash of an item costs a
 * few microseconds instead of tens, and a body's hash needs no trip through
 * Web Crypto's promise and thread pool. The Worker has it as well: its
 * `nodejs_compat` flag provides node:crypto's Hash
 * (developers.cloudflare.com/workers/runtime-apis/nodejs/crypto).
 */
import { createHash } from "node:crypto";

/** The hash of a string's UTF-8, or of bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
