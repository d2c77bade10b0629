/**
 * HTML bytes to text. The encoding comes from, in this order (the HTML
 * standard's sniffing, simplified): a byte-order mark, the HTTP charset, a
 * `<meta charset>` or `<meta http-equiv="Content-Type">` in the first
 * kilobytes; else the bytes are UTF-8 if they are that, else windows-1252.
 * A page that declares Latin-1 but is UTF-8 (a common mistake) is read as
 * UTF-8; one that is not what it declares is read as UTF-8 or windows-1252,
 * never into replacement characters.
 */
import { decodeWindows1252 } from "../feed/decode";

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
  return utf8 ?? decodeWindows1252(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes);
}

/**
 * Whether bytes are an HTML document rather than a text page: markup first, after white space and a byte-order
 * mark (a doctype, a comment, an element), where a text page opens with its kicker's words.
 */
export function looksLikeHtml(bytes: Uint8Array): boolean {
  const head = new TextDecoder("utf-8")
    .decode(bytes.subarray(0, 1024))
    .replace(/^\uFEFF/, "")
    .trimStart();
  // a feed or an outline is XML too, and no page
  return /^<[!?a-z]/i.test(head) && !/<(rss|feed|rdf:RDF|opml)[\s>]/i.test(head);
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

/** null for an encoding nobody knows (the bytes are then read as if none were declared). */
function decoderFor(label: string): InstanceType<typeof TextDecoder> | null {
  try {
    return new TextDecoder(label);
  } catch {
    return null;
  }
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
