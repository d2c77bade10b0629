/**
 * Tag membership by text: a story belongs to a tag when the tag's label
 * occurs in its title or summary as a whole word, ignoring case. Both sides
 * are compared in their comparable() form, which is also what the
 * items.match_text column stores, so a LIKE on that column is an exact
 * pre-filter for this test.
 */
import { sql } from "drizzle-orm";
import { comparable } from "../normalise/text";
import type { Database } from "./database";
import { items } from "./schema";

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
 * The stored stories a label matches. The LIKE is served by the trigram
 * index items_match_text, which narrows the items to those holding the
 * label's trigrams before reading any; the database rechecks the LIKE and
 * labelMatches the whole word. A label that yields no trigram (under three
 * letters, or split into such pieces by punctuation) cannot be narrowed so:
 * the planner reads every item instead, with the same result.
 */
export async function itemsMatching(tx: Database, label: string): Promise<string[]> {
  const candidates = await tx
    .select({ id: items.id, matchText: items.matchText })
    .from(items)
    .where(sql`${items.matchText} like ${likePatternFor(label)}`);
  return candidates.filter((c) => labelMatches(label, c.matchText)).map((c) => c.id);
}
