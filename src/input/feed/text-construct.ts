/**
 * Atom's text constructs (title, summary, content, with their type and, in
 * Atom 0.3, mode attributes), and the RSS elements read the same way: as
 * HTML for the entry's fields.
 */
import { textAsHtml } from "./raw-feed";
import { str } from "./xml-entry";

/**
 * A text construct as HTML, from its first element: markup written inline is
 * taken from the document's source (inline-markup.ts); `mode="base64"` is
 * decoded; Atom's type "text" (the default, unless `htmlByDefault`) is text,
 * escaped so that it is decoded once, not read as markup.
 */
export function textConstruct(elements: unknown, inline: string | undefined, htmlByDefault = false): string | undefined {
  const first = Array.isArray(elements) ? (elements[0] as unknown) : elements;
  if (first === undefined || first === null) return undefined;
  const attrs = typeof first === "object" ? ((first as { $?: Record<string, unknown> }).$ ?? {}) : {};
  const type = typeof attrs.type === "string" ? attrs.type.trim().toLowerCase() : undefined;
  const mode = typeof attrs.mode === "string" ? attrs.mode.trim().toLowerCase() : undefined;
  // Atom 0.3 says so with mode="base64"; Atom 1.0 base64-encodes content of any media type but text and XML
  const base64 = mode === "base64" || (type?.includes("/") && !/^text\/|[+/]xml$/.test(type));
  const explicitText = type === "text" || type === "text/plain";
  // decoded bytes are read as markup, as feedparser reads them, unless declared text
  const isText = base64 ? explicitText : type === undefined ? !htmlByDefault : explicitText;
  const hasElements = typeof first === "object" && Object.keys(first).some((k) => k !== "_" && k !== "$");
  if (hasElements && inline !== undefined) return inline || undefined;
  const value = str(first);
  if (value === undefined) return undefined;
  const decoded = base64 ? fromBase64(value) : value;
  // what does not decode is shown as the text it is
  return decoded === undefined || isText ? textAsHtml(decoded ?? value) : decoded;
}

/** UTF-8 text from base64; undefined where it is not base64 of UTF-8 text. */
function fromBase64(value: string): string | undefined {
  try {
    const binary = atob(value.replace(/\s+/g, ""));
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))).trim();
  } catch {
    return undefined;
  }
}
