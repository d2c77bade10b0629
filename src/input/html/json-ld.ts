/**
 * A page's JSON-LD: every object of its `application/ld+json` scripts, arrays
 * and `@graph`s unfolded, as the article reader (metadata.ts) and the teaser
 * reader (teasers.ts, an ItemList) look for theirs, and the value shapes
 * schema.org allows (a string or a list, an image as a string or an object).
 */
import type { Element, PageIndex } from "./page-index";

export type Json = Record<string, unknown>;

export const str = (v: unknown): string | null => (typeof v === "string" && v.trim() ? v.trim() : typeof v === "number" ? String(v) : null);
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

/** Every object of the page's JSON-LD, arrays and `@graph`s unfolded, in document order. */
export function jsonLdObjects(doc: Element, index?: PageIndex): Json[] {
  const out: Json[] = [];
  const walk = (v: unknown, depth: number) => {
    if (depth > 6) return;
    for (const item of list(v)) {
      if (!item || typeof item !== "object") continue;
      const obj = item as Json;
      out.push(obj);
      if (obj["@graph"]) walk(obj["@graph"], depth + 1);
      if (obj.mainEntity && typeof obj.mainEntity === "object") walk(obj.mainEntity, depth + 1);
    }
  };
  const scripts = index ? index.tag("script") : [...doc.querySelectorAll("script")];
  for (const script of scripts) {
    if ((script.getAttribute("type") ?? "").trim().toLowerCase() !== "application/ld+json") continue;
    // wrapped in comments or CDATA sections, as older templates write script content
    const text = (script.textContent ?? "")
      .trim()
      .replace(/^(?:\/\/\s*)?<!--|(?:\/\/\s*)?-->$/g, "")
      .trim()
      .replace(/^(?:\/\/\s*|\/\*\s*)?<!\[CDATA\[(?:\s*\*\/)?|(?:\/\/\s*|\/\*\s*)?\]\]>(?:\s*\*\/)?$/g, "")
      .trim();
    if (!text) continue;
    try {
      walk(JSON.parse(text), 0);
    } catch {
      // control characters inside strings are the usual fault of hand-written JSON-LD
      try {
        walk(JSON.parse(text.replace(/[\u0000-\u001f]+/g, " ")), 0);
      } catch {
        // a broken block says nothing
      }
    }
  }
  return out;
}

export function typesOf(obj: Json): string[] {
  return list(obj["@type"]).flatMap((t) => (typeof t === "string" ? [t.replace(/^https?:\/\/schema\.org\//, "")] : []));
}

export function imageUrl(v: unknown): string | null {
  for (const i of list(v)) {
    if (typeof i === "string" && i.trim()) return i.trim();
    if (i && typeof i === "object") {
      const u = str((i as Json).url) ?? str((i as Json).contentUrl) ?? str((i as Json)["@id"]);
      if (u) return u;
    }
  }
  return null;
}
