/**
 * Tag membership by text: a story belongs to a tag when the tag's label
 * occurs in its title or summary as a whole word, ignoring case. Both sides
 * are compared in their comparable() form, which is also what the
 * items.match_text column stores; the index items_search holds its words
 * (match-words.ts), which narrow the stories to test.
 */
import { sql } from "drizzle-orm";
import { comparable } from "../normalise/text";
import type { Database } from "./database";
import { wordQueryOf } from "./match-words";
import { items, searchVector } from "./schema";

/** Each label's comparable form and whole-word pattern: every stored item is tested against every tag. */
const patterns = new Map<string, { needle: string; pattern: RegExp } | null>();

export function matchTextOf(title: string, summary: string): string {
  return comparable(`${title}\n${summary}`);
}

export function labelMatches(label: string, matchText: string): boolean {
  let known = patterns.get(label);
  if (known === undefined) {
    const needle = comparable(label);
    const escaped = needle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    known = needle ? { needle, pattern: new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, "u") } : null;
    if (patterns.size > 10_000) patterns.clear();
    patterns.set(label, known);
  }
  // most texts do not hold the label at all, and a substring search says so faster than the pattern
  return known !== null && matchText.includes(known.needle) && known.pattern.test(matchText);
}

/** The LIKE pattern that finds every candidate match of a label. */
export function likePatternFor(label: string): string {
  return `%${comparable(label).replace(/[\\%_]/g, "\\$&")}%`;
}

/**
 * The stored stories a label matches. The index items_search narrows the
 * items to those holding every word of the label before reading any, and
 * labelMatches tests the whole label on those. A label without such words
 * (only punctuation, or letters match-words.ts does not split words at)
 * cannot be narrowed so: every item is read instead, with the same result.
 */
export async function itemsMatching(tx: Database, label: string): Promise<string[]> {
  const words = wordQueryOf(comparable(label));
  const candidates = await tx
    .select({ id: items.id, matchText: items.matchText })
    .from(items)
    .where(words ? sql`${searchVector} @@ ${words}::tsquery` : sql`${items.matchText} like ${likePatternFor(label)}`);
  return candidates.filter((c) => labelMatches(label, c.matchText)).map((c) => c.id);
}
