/** JSON Feed 1.0 and 1.1, read into entries (its text fields escaped into the HTML fields they fill). */
import { FeedFormatError } from "./errors";
import { jsonItemMedia } from "./media";
import { textAsHtml, type RawEntry, type RawFeed } from "./raw-feed";

export function readJsonFeed(text: string): RawFeed {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new FeedFormatError(`not valid JSON: ${(error as Error).message}`);
  }
  const version = typeof doc.version === "string" ? doc.version : "";
  if (!/^https?:\/\/jsonfeed\.org\/version\/1(\.1)?$/.test(version)) {
    throw new FeedFormatError(`not a JSON Feed (version '${version || "missing"}')`);
  }
  if (!Array.isArray(doc.items)) throw new FeedFormatError("JSON Feed without an items array");
  return {
    format: "json",
    title: typeof doc.title === "string" ? doc.title : undefined,
    link: typeof doc.home_page_url === "string" ? doc.home_page_url : undefined,
    entries: (doc.items as Record<string, unknown>[]).filter((i) => i && typeof i === "object").map(jsonEntry),
  };
}

function jsonEntry(item: Record<string, unknown>): RawEntry {
  const authors = Array.isArray(item.authors) ? item.authors : item.author ? [item.author] : [];
  const firstAuthor = authors.find((a): a is { name: string } => Boolean(a && typeof a === "object" && typeof (a as { name?: unknown }).name === "string"));
  const text = typeof item.content_text === "string" ? `<p>${textAsHtml(item.content_text)}</p>` : undefined;
  return {
    id: item.id === undefined || item.id === null ? undefined : String(item.id),
    link: typeof item.url === "string" ? item.url : typeof item.external_url === "string" ? item.external_url : undefined,
    title: typeof item.title === "string" ? textAsHtml(item.title) : undefined,
    summaryHtml: typeof item.summary === "string" ? textAsHtml(item.summary) : undefined,
    contentHtml: typeof item.content_html === "string" ? item.content_html : text,
    published: typeof item.date_published === "string" ? item.date_published : undefined,
    updated: typeof item.date_modified === "string" ? item.date_modified : undefined,
    author: firstAuthor?.name,
    categories: Array.isArray(item.tags) ? item.tags.filter((t): t is string => typeof t === "string") : [],
    media: jsonItemMedia(item),
  };
}
