/**
 * Tag membership by text: a story belongs to a tag when the tag's label
 * occurs in its title or summary as a whole word, ignoring case. Both sides
 * are compared in their comparable() form, which is also what the
 * items.match_text column stores, so a LIKE on that column is an exact
 * pre-filter for this test.
 */
import { comparable } from "../normalise/text";

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
