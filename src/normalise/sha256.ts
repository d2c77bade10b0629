/**
 * SHA-256 as hex: the ids and content hashes of items, and the hashes of
 * fetched bodies. node:crypto rather than a JavaScript SHA-256 or Web
 * Crypto: it is native and synchronous, a hash of an item costs a
 * microsecond or so instead of tens, and a body's hash needs no trip through
 * Web Crypto's promise and thread pool. Its one-shot hash() (Node 20.12 and
 * later) skips the Hash object createHash builds for each value, a third of
 * the time of a short key; where a runtime lacks it (or has a stand-in that
 * fails), createHash gives the same digest. The Worker has node:crypto as
 * well: its `nodejs_compat` flag provides it
 * (developers.cloudflare.com/workers/runtime-apis/nodejs/crypto).
 */
import * as crypto from "node:crypto";

/** hash() where the runtime has one that gives SHA-256 (checked once, on the empty string), else null. */
const oneShot = (() => {
  try {
    const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    return typeof crypto.hash === "function" && crypto.hash("sha256", "", "hex") === empty ? crypto.hash : null;
  } catch {
    return null;
  }
})();

/** The hash of a string's UTF-8, or of bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return oneShot ? oneShot("sha256", data, "hex") : crypto.createHash("sha256").update(data).digest("hex");
}
