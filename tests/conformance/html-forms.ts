/**
 * Two forms of an HTML fragment that make feedparser's output and feedwerk's
 * comparable, computed with htmlparser2 (sanitize-html's own parser), not with
 * feedwerk's code: its text, and a canonical serialisation.
 */
import { isTag, isText, type ChildNode } from "domhandler";
import { parseDocument } from "htmlparser2";

const VOID = new Set(["area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"]);
const UNRENDERED = new Set(["script", "style", "template"]);

const collapse = (s: string) => s.replace(/\s+/gu, " ").trim();

/** What a reader sees of the fragment: text with entities decoded, white space collapsed. */
export function htmlToText(html: string): string {
  const walk = (nodes: ChildNode[]): string =>
    nodes.map((n) => (isText(n) ? n.data : isTag(n) && !UNRENDERED.has(n.name) ? ` ${walk(n.children)} ` : "")).join("");
  return collapse(walk(parseDocument(html, { decodeEntities: true }).children));
}

const escapeText = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * One spelling for equal HTML: attributes sorted, entities spelled one way,
 * `<br>` and `<br />` alike, white-space runs as one space; href and src
 * resolved against `base` (both readers make links absolute); the
 * rel="nofollow noopener" feedwerk puts on every link left out (its own
 * addition, not content).
 */
export function canonicalHtml(html: string, base: string): string {
  const attribute = (tag: string, name: string, value: string): string | null => {
    if (tag === "a" && name === "rel" && value === "nofollow noopener") return null;
    if (name === "href" || name === "src") {
      try {
        value = new URL(value.trim(), base).href;
      } catch {
        // kept as written: not a URL either side could resolve
      }
    }
    return `${name}="${escapeText(value).replace(/"/g, "&quot;")}"`;
  };
  const walk = (nodes: ChildNode[]): string =>
    nodes
      .map((n) => {
        if (isText(n)) return escapeText(n.data);
        if (!isTag(n)) return "";
        const attrs = Object.entries(n.attribs)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, v]) => attribute(n.name, k, v))
          .filter((a) => a !== null);
        const open = `<${[n.name, ...attrs].join(" ")}>`;
        return VOID.has(n.name) ? open : `${open}${walk(n.children)}</${n.name}>`;
      })
      .join("");
  return collapse(walk(parseDocument(html, { decodeEntities: true }).children));
}
