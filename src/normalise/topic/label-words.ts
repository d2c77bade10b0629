/**
 * A tag gaining stories by its label's words (match "words"): a story
 * belongs to the tag when its title or summary holds the label as a whole
 * word, ignoring case. Both sides are compared in their comparable() form,
 * which is also what the items.match_text column stores.
 *
 * Made safe where the words alone would swallow unrelated stories:
 * - a label that is a stop word of the story's language ("in", "it", "die",
 *   "the") gains no story by its words: a feed's category IN must not take
 *   "Studenten in einer Bibliothek";
 * - a label in capitals (EU, USA, IT) is an acronym: it matches only the
 *   same capitals, so IT finds "IT-Sicherheit" and not "it".
 */
import { comparable } from "../text";
import { likelyLanguages, STOP_WORD_LANGUAGES, allStopWords } from "./stop-words";

/** What a story is matched by: its title and summary, as written and in comparable form. */
export interface LabelText {
  title: string;
  summary: string;
  /** matchTextOf(title, summary). */
  matchText: string;
}

interface Label {
  /** comparable(label), what the words are matched against; "" for a label that has none. */
  needle: string;
  pattern: RegExp | null;
  /** For a label in capitals: the pattern matching its own capitals in the text as written. */
  capitals: RegExp | null;
  /** The languages in which every word of the label is a stop word. */
  stopIn: string[];
}

const WORD = /[\p{L}\p{N}]+/gu;
/** Each label's patterns: every stored item is tested against every tag. */
const labels = new Map<string, Label>();

export function matchTextOf(title: string, summary: string): string {
  return comparable(`${title}\n${summary}`);
}

const wholeWord = (text: string, flags: string) => new RegExp(`(?<![\\p{L}\\p{N}])${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\p{L}\\p{N}])`, flags);

/** Capitals only, and at least two letters: "EU", "USA", "G7-GIPFEL"; not "X" or "Öl". */
function inCapitals(label: string): boolean {
  const letters = label.match(/\p{L}/gu) ?? [];
  return letters.length >= 2 && letters.every((ch) => ch === ch.toUpperCase() && ch !== ch.toLowerCase());
}

function labelOf(text: string): Label {
  let known = labels.get(text);
  if (known === undefined) {
    const needle = comparable(text);
    const words = needle.match(WORD) ?? [];
    known = {
      needle,
      pattern: needle ? wholeWord(needle, "u") : null,
      capitals: needle && inCapitals(text) ? wholeWord(text.normalize("NFKC").replace(/\s+/gu, " ").trim(), "u") : null,
      stopIn: STOP_WORD_LANGUAGES.filter((language) => allStopWords(words, language)),
    };
    if (labels.size > 10_000) labels.clear();
    labels.set(text, known);
  }
  return known;
}

/** Whether a label's words are made safe at all (a stop word somewhere, or capitals): what the rule before this one got wrong. */
export function labelNeedsCare(label: string): boolean {
  const known = labelOf(label);
  return known.capitals !== null || known.stopIn.length > 0;
}

/** Whether `matchText` holds the label as a whole word, ignoring case: the rule before it was made safe, and the index's. */
export function labelMatches(label: string, matchText: string): boolean {
  const { needle, pattern } = labelOf(label);
  // most texts do not hold the label at all, and a substring search says so faster than the pattern
  return pattern !== null && matchText.includes(needle) && pattern.test(matchText);
}

/** Whether a story gains the tag `label` by its words: labelMatches, made safe (see above). */
export function labelNamesStory(label: string, story: LabelText): boolean {
  if (!labelMatches(label, story.matchText)) return false;
  const known = labelOf(label);
  if (known.capitals && !known.capitals.test(`${story.title}\n${story.summary}`.normalize("NFKC").replace(/\s+/gu, " "))) return false;
  if (!known.stopIn.length) return true;
  // the story's language by its other words: the label's own would vote for the languages it is a stop word of
  const own = new Set(known.needle.match(WORD) ?? []);
  const languages = likelyLanguages((story.matchText.match(WORD) ?? []).filter((w) => !own.has(w)));
  return !languages.some((language) => known.stopIn.includes(language));
}
