/**
 * The words of a story's match text, as the full-text index item_search holds them:
 * what lets a new tag find the stories naming it without reading them all.
 *
 * A tag's label matches a story when it occurs in the match text as a whole
 * word (tag-match.ts): bounded by characters that are neither letters nor
 * digits. Split both texts into words at every character outside WORD_CHARS
 * and every word of the label is then a word of the story, because
 * WORD_CHARS holds only letters and digits: the words are a pre-filter that
 * never loses a match. WORD_CHARS is spelled as code point ranges, the same
 * here and in the migration that filled the words of stories stored before
 * (drizzle/0016), because a class such as [[:alnum:]] depends on the
 * database's locale. Letters outside it (CJK, say) separate words: a label
 * made only of them has no words, and tag-match reads every story instead.
 *
 * Each word is stored with a leading space, which the German text search
 * configuration never puts in a lexeme: the words once shared an index with ?q='s
 * lexemes (until migration 0022), and the stored words keep that form.
 */

const WORD_CHARS = "0-9a-z\\u00DF-\\u00F6\\u00F8-\\u024F\\u03B1-\\u03C9\\u0430-\\u044F";
const WORD = new RegExp(`[${WORD_CHARS}]+`, "g");
/** A tsvector lexeme may not exceed 2,047 bytes; every character of WORD_CHARS takes at most two. */
const LONGEST = 499;

/** The words of a match text in tsvector's input syntax (they hold no quote or backslash to escape). */
export function matchWordsOf(matchText: string): string {
  const words = new Set(matchText.match(WORD));
  let vector = "";
  for (const word of words) if (word.length <= LONGEST) vector += `' ${word}' `;
  return vector;
}

/** The tsquery that finds every story holding all of a match text's words, or null when it has none the index holds. */
export function wordQueryOf(matchText: string): string | null {
  const words = [...new Set(matchText.match(WORD))];
  if (!words.length || words.some((word) => word.length > LONGEST)) return null;
  return words.map((word) => `' ${word}'`).join(" & ");
}
