/**
 * Feed bytes to text. The encoding comes from, in this order (RFC 7303): a
 * byte-order mark, the HTTP charset, the XML declaration; else UTF-8. Bytes
 * that are not what they declare (or, undeclared, not UTF-8) are read as
 * UTF-8 if they are that, else as windows-1252, as feedparser and browsers
 * do: never into replacement characters. Such a fallback is reported.
 * Latin-1 or windows-1252 that is valid UTF-8 is UTF-8, as feedparser reads it.
 */
export interface DecodedFeed {
  text: string;
  /** Why the encoding used is not the one declared, as feedparser's bozo reason. */
  warning?: string | undefined;
}

export function decodeFeed(bytes: Uint8Array, contentType: string | null = null): string {
  return decodeFeedDocument(bytes, contentType).text;
}

export function decodeFeedDocument(bytes: Uint8Array, contentType: string | null = null): DecodedFeed {
  const label = bomEncoding(bytes) ?? headerCharset(contentType) ?? declaredEncoding(bytes);
  const declared = decoderFor(label ?? "utf-8");
  // UTF-8 labelled Latin-1 is a common mistake; feedparser undoes it (text by text) and calls the feed sound
  if (declared?.encoding === "windows-1252" && bytes.some((b) => b >= 0x80)) {
    const utf8 = strictly(new TextDecoder("utf-8"), bytes);
    if (utf8 !== null) return { text: utf8 };
  }
  const text = declared ? strictly(declared, bytes) : null;
  if (text !== null) return { text };
  const name = declared?.encoding ?? `${label} (unknown)`;
  if (name !== "utf-8") {
    const text = strictly(new TextDecoder("utf-8"), bytes);
    if (text !== null) return { text, warning: `document declared as ${name}, but parsed as utf-8` };
  }
  // a UTF-8 byte-order mark before bytes that are not UTF-8 is still no text
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  return {
    text: decodeWindows1252(body),
    warning: label ? `document declared as ${name}, but parsed as windows-1252` : "document is not utf-8 and declares no encoding: parsed as windows-1252",
  };
}

// windows-1252 at 0x80..0x9F (0 where the code page leaves a byte undefined: kept as that C1 code point)
const CP1252_HIGH = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0, 0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
  0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];

/**
 * windows-1252, which WHATWG also uses for every "iso-8859-1" and "latin1"
 * label. Decoded here: Node's TextDecoder drops the bytes 0x80..0x9F (the
 * euro sign, typographic quotes and dashes) instead of mapping them.
 */
export function decodeWindows1252(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    const chunk = bytes.subarray(i, i + 8192);
    out += String.fromCharCode(...Array.from(chunk, (b) => (b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80] || b : b)));
  }
  return out;
}

/** null for an encoding nobody knows: the bytes are then read as if none were declared, as feedparser does (and browsers). */
export function decoderFor(label: string): InstanceType<typeof TextDecoder> | null {
  try {
    return new TextDecoder(label);
  } catch {
    return null;
  }
}

/** The text, or null if the bytes are not in that encoding. */
function strictly(decoder: InstanceType<typeof TextDecoder>, bytes: Uint8Array): string | null {
  if (decoder.encoding === "windows-1252") return decodeWindows1252(bytes);
  try {
    return new TextDecoder(decoder.encoding, { fatal: true }).decode(bytes).replace(/^\uFEFF/, "");
  } catch {
    return null;
  }
}

function bomEncoding(b: Uint8Array): string | null {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return "utf-8";
  if (b[0] === 0xff && b[1] === 0xfe) return "utf-16le";
  if (b[0] === 0xfe && b[1] === 0xff) return "utf-16be";
  // "<?" in UTF-16 without a mark
  if (b[0] === 0x3c && b[1] === 0x00 && b[2] === 0x3f && b[3] === 0x00) return "utf-16le";
  if (b[0] === 0x00 && b[1] === 0x3c && b[2] === 0x00 && b[3] === 0x3f) return "utf-16be";
  return null;
}

function headerCharset(contentType: string | null): string | null {
  const m = contentType ? /charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType) : null;
  return m ? m[1]!.toLowerCase() : null;
}

function declaredEncoding(bytes: Uint8Array): string | null {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 256));
  const m = /^\s*<\?xml[^>]*\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
  // a declaration readable as ASCII is not in UTF-16 or UTF-32, whatever it says (as browsers treat it)
  return m && !/^(utf|ucs)-?(16|32|2|4)/i.test(m[1]!) ? m[1]!.toLowerCase() : null;
}

const C1_CONTROL = /[\u0080-\u009f]/;
const C1_CONTROLS = /[\u0080-\u009f]/g;

/**
 * C1 control characters in text (`&#146;`, or bytes that were windows-1252
 * written out as UTF-8) are what windows-1252 puts there: typographic quotes,
 * dashes, the euro sign. No feed means the control; feedparser and browsers
 * read them so.
 */
export function windows1252Controls(text: string): string {
  return C1_CONTROL.test(text) ? text.replace(C1_CONTROLS, (c) => String.fromCharCode(CP1252_HIGH[c.charCodeAt(0) - 0x80] || c.charCodeAt(0))) : text;
}
