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

const patterns = new Map<string, RegExp>();

export function matchTextOf(title: string, summary: string): string {
  return comparable(`${title}\n${summary}`);
}

export function labelMatches(label: string, matchText: string): boolean {
  const needle = comparable(label);
  if (!needle) return false;
  let pattern = patterns.get(needle);
  if (!pattern) {
    const escaped = needle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    pattern = new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, "u");
    if (patterns.size > 10_000) patterns.clear();
    patterns.set(needle, pattern);
  }
  return pattern.test(matchText);
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
