/**
 * The items' hash (src/normalise/sha256.ts) is SHA-256: the FIPS 180-4
 * examples, and the same digests as @noble/hashes for texts of every length
 * around the block boundaries, in every width of UTF-8 (lone surrogates
 * included, which both encode as U+FFFD), and for texts far larger than one
 * buffer.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../src/normalise/sha256";

const noble = (text: string) => bytesToHex(sha256(utf8ToBytes(text)));

describe("sha256Hex", () => {
  it("gives the standard's digests", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  });

  it("agrees with @noble/hashes on every length up to five blocks, in every width of UTF-8", () => {
    const characters = ["a", "ä", "€", "😀", "\uD800", "\u0000"];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let length = 0; length <= 320; length++) {
      const ascii = "x".repeat(length);
      const mixed = Array.from({ length }, () => characters[next() % characters.length]).join("");
      expect(sha256Hex(ascii), `${length} ASCII characters`).toBe(noble(ascii));
      expect(sha256Hex(mixed), JSON.stringify(mixed)).toBe(noble(mixed));
    }
  });

  it("agrees on texts larger than its buffer, and on short ones after them", () => {
    for (const text of ["€x".repeat(200_000), "short after long", "ä".repeat(1_000_001), ""]) expect(sha256Hex(text)).toBe(noble(text));
  });
});
