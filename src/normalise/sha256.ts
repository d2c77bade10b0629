/**
 * SHA-256 of a string's UTF-8, as hex: the ids and content hashes of items.
 * @noble/hashes rather than node:crypto, because this runs in the Worker and
 * on reading threads alike; hashing is not where a pass spends its time.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}
