/**
 * Reader for the news portal's page format (see the format notes in
 * docs/pages.md): one article, its tag list, then timed and untimed teasers and the
 * footer. The reader is strict about structure, because a page that is cut
 * short or is not a page at all must be refused with the line that gave it
 * away, not half-read; it is lenient about the contents of each block.
 */
import { escapeHtml } from "../../normalise/html";
import { guidFor, storyKey } from "../../normalise/identity";
import type { ImageInfo, Item, Precision, Tag } from "../../normalise/item";
import { mergeObservations } from "../../normalise/merge";
import { slugify } from "../../normalise/slug";
import { clean } from "../../normalise/text";
import { parseDateSourceLine, parseNumericDateLine, parseRelativeTime, isRelativeTime } from "./dates";
import { readDateline } from "./dateline";

export class PageFormatError extends Error {
  constructor(
    /** 1-based line number the problem was found at. */
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = "PageFormatError";
  }
}

/** How far into the page the article's date line may be (kicker, headline, blank lines). */
const HEADER_LINES = 8;
const FOOTER = /^Suchbegriff$/u;
const IMAGE_CREDIT = /^Foto\s*:\s*/u;
const COMMENTS = /^\[(\d+)\s+Kommentare?\]$/u;
// Teaser text ends with "[…] (00)", with a no-break space before the count.
const TEASER_TAIL = /\s*(\[…\]|\[\.\.\.\]|…)?\s*\((\d+)\)$/u;
// A sentence ends with a full stop, ellipsis or colon, perhaps inside quotes.
const SENTENCE_END = /[.…:;,]["'»«“”„‘’)\]]*$/u;
const MAX_HEADING = 160;

export function parsePage(text: string, fetchedAt: Date): Item[] {
  try {
    return parseLines(text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/), fetchedAt);
  } catch (error) {
    // what a cut page lacks is expected past its end: named at its last line, one an editor can go to
    // (a file that ends with a line break has no line after it)
    const last = Math.max(1, text.split(/\r\n|\r|\n/).length - (/(\r\n|\r|\n)$/.test(text) ? 1 : 0));
    if (error instanceof PageFormatError && error.line > last) throw new PageFormatError(last, error.message);
    throw error;
  }
}

function parseLines(lines: string[], fetchedAt: Date): Item[] {
  if (lines.every((l) => l.trim() === "")) throw new PageFormatError(1, "empty page");
  const { article, next } = readArticle(lines, readHeader(lines));
  return mergeObservations([article, ...readTeasers(lines, next, fetchedAt)]);
}

const blankAt = (lines: string[], i: number) => (lines[i] ?? "").trim() === "";
const lineNo = (i: number) => i + 1;

interface Header {
  date: NonNullable<ReturnType<typeof parseDateSourceLine>>;
  dateIdx: number;
  headline: string;
  kicker: string | null;
}

// --- kicker, headline, date and source
function readHeader(lines: string[]): Header {
  let dateIdx = -1;
  let date: ReturnType<typeof parseDateSourceLine> = null;
  for (let i = 0, seen = 0; i < lines.length && seen < HEADER_LINES; i++) {
    if (blankAt(lines, i)) continue;
    seen++;
    date = parseDateSourceLine(lines[i]!);
    if (date) {
      dateIdx = i;
      break;
    }
  }
  if (!date) {
    throw new PageFormatError(1, "not a news page: no date line such as '10. August 2025, 12:47 Uhr · Quelle: dpa' near the top");
  }
  const head = lines
    .slice(0, dateIdx)
    .map(clean)
    .filter((l) => l !== "");
  if (head.length === 0) throw new PageFormatError(lineNo(dateIdx), "no headline before the date line");
  if (head.length > 2) {
    throw new PageFormatError(1, `expected a kicker and a headline before the date line, found ${head.length} lines`);
  }
  return { date, dateIdx, headline: head[head.length - 1]!, kicker: head.length === 2 ? head[0]! : null };
}

/** The article, from its header to its comment count; `next` is the line after it. */
function readArticle(lines: string[], { date, dateIdx, headline, kicker }: Header): { article: Item; next: number } {
  // --- image block and lead: the lines up to the first blank line
  let i = dateIdx + 1;
  const chunkStart = i;
  while (i < lines.length && !blankAt(lines, i)) i++;
  const chunk = lines.slice(chunkStart, i).map(clean);
  if (chunk.length === 0) throw new PageFormatError(lineNo(chunkStart), "expected the lead paragraph after the date line");
  const { image, lead } = readImageAndLead(chunk);
  if (!lead) throw new PageFormatError(lineNo(i), "expected the lead paragraph after the image block");

  const { paragraphs, tags, closeIdx } = readBody(lines, i);
  let cursor = closeIdx + 1;
  let articleComments: number | null = null;
  const comments = COMMENTS.exec(clean(lines[cursor] ?? ""));
  if (comments) {
    articleComments = Number(comments[1]);
    cursor++;
  }

  const firstParagraph = paragraphs[0] ?? "";
  const bodyDateline = readDateline(firstParagraph);
  const article: Item = {
    ...identity(headline),
    kind: "article",
    title: headline,
    kicker,
    publishedAt: date.publishedAt,
    precision: "absolute",
    agency: date.source ?? bodyDateline?.agency ?? null,
    dateline: bodyDateline?.place ?? null,
    tags,
    commentCount: articleComments,
    image,
    media: null,
    summary: lead,
    contentHtml: articleHtml(lead, paragraphs),
    url: null,
  };
  return { article, next: cursor };
}

// --- body up to the tag line and the closing date line
function readBody(lines: string[], start: number): { paragraphs: string[]; tags: Tag[]; closeIdx: number } {
  let closeIdx = -1;
  for (let j = start; j < lines.length; j++) {
    if (parseNumericDateLine(lines[j]!)) {
      closeIdx = j;
      break;
    }
  }
  if (closeIdx < 0) {
    throw new PageFormatError(lines.length, "page ends before the tag list and the closing date line such as '10.08.2025 · 12:47 Uhr' (truncated?)");
  }
  let tagLine: string | null = null;
  let bodyEnd = closeIdx;
  if (closeIdx - 1 >= start && !blankAt(lines, closeIdx - 1) && !SENTENCE_END.test(clean(lines[closeIdx - 1]!))) {
    tagLine = clean(lines[closeIdx - 1]!);
    bodyEnd = closeIdx - 1;
  }
  return { paragraphs: splitParagraphs(lines.slice(start, bodyEnd)), tags: tagLine ? readTags(tagLine) : [], closeIdx };
}

// --- teasers, until the footer
function readTeasers(lines: string[], start: number, fetchedAt: Date): Item[] {
  const teasers: Item[] = [];
  let cursor = start;
  while (cursor < lines.length) {
    const raw = lines[cursor]!;
    const line = clean(raw);
    if (line === "") {
      cursor++; // empty lines, and the no-break-space line before the untimed teasers
      continue;
    }
    if (FOOTER.test(line)) return teasers;
    const teaser = readTeaser(lines, cursor, fetchedAt);
    teasers.push(teaser.item);
    cursor = teaser.next;
  }
  throw new PageFormatError(lines.length, "page ends before the footer 'Suchbegriff' (truncated?)");
}

/** The teaser whose title is on line `titleIdx`: its text line, then its relative time if it has one. */
function readTeaser(lines: string[], titleIdx: number, fetchedAt: Date): { item: Item; next: number } {
  const title = clean(lines[titleIdx]!);
  if (isRelativeTime(title)) throw new PageFormatError(lineNo(titleIdx), `relative time '${title}' without a teaser before it`);
  const textIdx = titleIdx + 1;
  const text = clean(lines[textIdx] ?? "");
  if (text === "" || FOOTER.test(text) || isRelativeTime(text)) {
    throw new PageFormatError(lineNo(textIdx), `teaser '${title}' has no text line (truncated?)`);
  }
  const tail = TEASER_TAIL.exec(text);
  if (!tail) {
    throw new PageFormatError(lineNo(textIdx), "teaser text does not end with '[…] (NN)' (truncated?)");
  }
  let next = textIdx + 1;
  let publishedAt: Date | null = null;
  let precision: Precision = "none";
  const relative = parseRelativeTime(clean(lines[next] ?? ""), fetchedAt);
  if (relative) {
    ({ publishedAt, precision } = relative);
    next++;
  }
  const dateline = readDateline(text);
  const item: Item = {
    ...identity(title),
    kind: "teaser",
    title,
    kicker: null,
    publishedAt,
    precision,
    agency: dateline?.agency ?? null,
    dateline: dateline?.place ?? null,
    tags: [],
    commentCount: Number(tail[2]),
    image: null,
    media: null,
    // the portal cut the text where it wrote "[…]": the summary says so with an ellipsis, not ending mid-sentence
    summary: tail[1] ? `${text.slice(0, tail.index).trim()} …` : text.slice(0, tail.index).trim(),
    contentHtml: null,
    url: null,
  };
  return { item, next };
}

function identity(title: string): Pick<Item, "id" | "guid"> {
  const id = storyKey(title);
  return { id, guid: guidFor(id) };
}

function readImageAndLead(chunk: string[]): { image: ImageInfo | null; lead: string } {
  const creditAt = chunk.findIndex((l) => IMAGE_CREDIT.test(l));
  if (creditAt < 0) return { image: null, lead: chunk.join(" ") };
  const after = chunk.slice(creditAt + 1);
  const image: ImageInfo = {
    alt: creditAt > 0 ? chunk.slice(0, creditAt).join(" ") : null,
    credit: chunk[creditAt]!.replace(IMAGE_CREDIT, "") || null,
    caption: after.length >= 2 ? after[0]! : null,
  };
  return { image, lead: (after.length >= 2 ? after.slice(1) : after).join(" ") };
}

function splitParagraphs(lines: string[]): string[] {
  const paragraphs: string[] = [];
  let current: string[] = [];
  for (const raw of lines) {
    const line = clean(raw);
    if (line === "") {
      if (current.length) paragraphs.push(current.join(" "));
      current = [];
    } else {
      current.push(line);
    }
  }
  if (current.length) paragraphs.push(current.join(" "));
  return paragraphs;
}

function readTags(line: string): Tag[] {
  const seen = new Set<string>();
  const tags: Tag[] = [];
  for (const part of line.split(/\s+\/\s+/u)) {
    const label = clean(part);
    const slug = slugify(label);
    if (!slug || seen.has(slug)) continue;
    seen.add(slug);
    tags.push({ slug, label });
  }
  return tags;
}

/**
 * A sub-heading is a short paragraph between paragraphs that does not end
 * like a sentence: questions ("Worum geht es?") and plain phrases.
 */
function isHeading(paragraph: string, index: number, count: number): boolean {
  return index > 0 && index < count - 1 && paragraph.length <= MAX_HEADING && !SENTENCE_END.test(paragraph);
}

function articleHtml(lead: string, paragraphs: string[]): string {
  const parts = [`<p>${escapeHtml(lead)}</p>`];
  paragraphs.forEach((p, index) => {
    parts.push(isHeading(p, index, paragraphs.length) ? `<h2>${escapeHtml(p)}</h2>` : `<p>${escapeHtml(p)}</p>`);
  });
  return parts.join("\n");
}
