/**
 * The stored stories whose title or summary holds a label as a whole word,
 * ignoring case (normalise/topic/label-words labelMatches): the candidates
 * of a new tag that gains stories by its words, which membership then
 * judges. The full-text index (search-index.ts) holds the stories' words
 * (match-words.ts), which narrow the stories to test.
 */
import { sql } from "drizzle-orm";
import { comparable } from "../normalise/text";
import { labelMatches } from "../normalise/topic/label-words";
import type { Database } from "./database";
import { wordQueryOf } from "./match-words";
import { items } from "./schema";
import { holdingWords } from "./search-index";

/** The LIKE pattern that finds every candidate match of a label. */
export function likePatternFor(label: string): string {
  return `%${comparable(label).replace(/[\\%_]/g, "\\$&")}%`;
}

/**
 * The stored stories a label matches. The full-text index narrows the
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
    .where(words ? holdingWords(words) : sql`${items.matchText} like ${likePatternFor(label)}`);
  return candidates.filter((c) => labelMatches(label, c.matchText)).map((c) => c.id);
}
