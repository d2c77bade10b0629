/**
 * HTML bytes to text. The encoding comes from, in this order (the HTML
 * standard's sniffing, simplified): a byte-order mark, the HTTP charset, a
 * `<meta charset>` or `<meta http-equiv="Content-Type">` in the first
 * kilobytes; else the bytes are UTF-8 if they are that, else the encoding
 * chardet detects (ISO-8859-2, windows-1251, …), else windows-1252.
 * A page that declares Latin-1 but is UTF-8 (a common mistake) is read as
 * UTF-8; one that is not what it declares is read as UTF-8 or windows-1252,
 * never into replacement characters.
 */
import { analyse } from "chardet";
import { decoderFor, decodeWindows1252 } from "../feed/decode";

/** How far the declaration is looked for, as browsers' prescan does (1024 bytes there; pages put scripts first). */
const PRESCAN = 4096;

export function decodeHtml(bytes: Uint8Array, contentType: string | null = null): string {
  const label = bomEncoding(bytes) ?? charsetOf(contentType) ?? declaredCharset(bytes);
  const declared = decoderFor(label ?? "utf-8");
  // decoded as UTF-8 once, whatever is declared: most pages are, and it is what a wrong declaration is checked against
  const utf8 = strictly("utf-8", bytes);
  // UTF-8 labelled Latin-1 or windows-1252
  if (declared?.encoding === "windows-1252" && utf8 !== null && bytes.some((b) => b >= 0x80)) return utf8;
  if (declared?.encoding === "utf-8" && utf8 !== null) return utf8;
  if (declared && declared.encoding !== "utf-8") {
    const text = strictly(declared.encoding, bytes);
    if (text !== null) return text;
  }
  if (utf8 !== null) return utf8;
  // undeclared and not UTF-8: the single-byte encoding the bytes look like; one declared wrongly is windows-1252, as browsers read it
  const guess = label === null ? detectedEncoding(bytes) : null;
  return (guess && strictly(guess, bytes)) ?? decodeWindows1252(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes);
}

// the legacy single-byte encodings of the web's languages, which chardet tells apart by their letters' statistics
const SINGLE_BYTE = /^(?:ISO-8859-(?:2|5|7|9)|windows-125[0-8]|KOI8-R)$/;

/** What chardet takes undeclared bytes for, where it is a single-byte encoding other than Latin-1's; null: windows-1252. */
function detectedEncoding(bytes: Uint8Array): string | null {
  const best = analyse(bytes.subarray(0, 64 * 1024))[0];
  return best && best.confidence >= 20 && SINGLE_BYTE.test(best.name) && best.name !== "windows-1252" ? best.name : null;
}

function bomEncoding(bytes: Uint8Array): string | null {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return "utf-8";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be";
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le";
  return null;
}

function charsetOf(contentType: string | null): string | null {
  return contentType ? (/charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType)?.[1] ?? null) : null;
}

/** `<meta charset="…">`, or `<meta http-equiv="Content-Type" content="…; charset=…">`, early in the document. */
function declaredCharset(bytes: Uint8Array): string | null {
  const head = decodeWindows1252(bytes.subarray(0, PRESCAN));
  for (const meta of head.matchAll(/<meta\b[^>]*>/gi)) {
    const tag = meta[0];
    const direct = /\bcharset\s*=\s*["']?([\w.:-]+)/i.exec(tag);
    if (direct && !/http-equiv/i.test(tag)) return direct[1]!;
    if (/http-equiv\s*=\s*["']?content-type/i.test(tag)) {
      const content = /\bcontent\s*=\s*(["'])(.*?)\1/i.exec(tag)?.[2] ?? "";
      const charset = charsetOf(content);
      if (charset) return charset;
    }
  }
  return null;
}

/** The text, or null if the bytes are not in that encoding. */
function strictly(encoding: string, bytes: Uint8Array): string | null {
  if (encoding === "windows-1252") return decodeWindows1252(bytes);
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes).replace(/^\uFEFF/, "");
  } catch {
    return null;
  }
}
