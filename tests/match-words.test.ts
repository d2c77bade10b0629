/**
 * The words that let a new tag find its stories through the index
 * item_search (storage/match-words): they never lose a whole-word match,
 * and the migration that filled them for stories stored before splits texts
 * exactly as the code that writes them now. On both storage backends.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { comparable } from "../src/normalise/text";
import { matchWordsOf, wordQueryOf } from "../src/storage/match-words";
import { labelMatches, matchTextOf } from "../src/normalise/topic/label-words";
import { forEachBackend } from "./support/databases";
import { beforeMigration, rowsOf } from "./support/migrations";

const wordsOf = (vector: string) => new Set([...vector.matchAll(/' ([^']*)'/g)].map((m) => m[1]!));

/** A small deterministic generator: the same texts on every run. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

// letters the words are made of, letters that split them (ё, CJK, a combining mark), digits and separators
const ALPHABET = ["a", "b", "x", "ß", "ö", "ø", "ą", "ω", "я", "ё", "中", "\u0301", "1", "0", " ", "-", ".", "/", "_", "%", "+", "'", "\\"];

describe("match words", () => {
  it("are made only of letters and digits, so that a whole-word label never spans a word's edge", () => {
    for (let cp = 0; cp <= 0xffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const char = String.fromCodePoint(cp);
      if (matchWordsOf(char) !== "") expect(char, `U+${cp.toString(16)}`).toMatch(/^[\p{L}\p{N}]$/u);
    }
  });

  it("of every label a text matches are words of that text", () => {
    const rnd = random(12);
    let matched = 0;
    for (let n = 0; n < 20_000; n++) {
      const text = Array.from({ length: 4 + Math.floor(rnd() * 30) }, () => ALPHABET[Math.floor(rnd() * ALPHABET.length)]).join("");
      const start = Math.floor(rnd() * text.length);
      const label = text.slice(start, start + 1 + Math.floor(rnd() * 8));
      const matchText = comparable(text);
      if (!comparable(label) || !labelMatches(label, matchText)) continue;
      matched++;
      const query = wordQueryOf(comparable(label));
      if (query === null) continue;
      const words = wordsOf(matchWordsOf(matchText));
      for (const word of wordsOf(query.replaceAll(" & ", " "))) expect(words, `${JSON.stringify(label)} in ${JSON.stringify(text)}`).toContain(word);
    }
    // the property was put to the test, not vacuously true
    expect(matched).toBeGreaterThan(2_000);
  });

  it("leave out a word too long for a lexeme, and a label holding one is not narrowed by them", () => {
    const long = "a".repeat(500);
    expect(wordsOf(matchWordsOf(`kurz ${long} wort`))).toEqual(new Set(["kurz", "wort"]));
    expect(wordQueryOf(`${long} wort`)).toBeNull();
    expect(wordQueryOf("++ 中国")).toBeNull();
    expect(wordQueryOf("new york")).toBe("' new' & ' york'");
  });
});

const TEXTS: [title: string, summary: string][] = [
  ["EU-Gipfel in Brüssel", "Die Staats- und Regierungschefs beraten über den Haushalt der EU."],
  ["Pfad C:\\Windows\\System32 gelöscht", "Ein Skript räumte zu gründlich auf: www.example.org/a_b?x=1%20y"],
  ["ÖL-PREIS steigt weiter", "Heizöl wird teurer, Ölpreise an den Börsen auch. Straße, STRASSE."],
  ["Ёлка на площади", "Ελλάδα και Ωμέγα: ω, ς; 中国 und 日本 im Handel; café (cafe\u0301)"],
  ["Rabatte bis 100% im Schlussverkauf", `Ein Wort zu lang: ${"x".repeat(499)} und ${"y".repeat(500)} Ende 5G 45G`],
  ["Das \ufb01nanzamt prüft", "Wahl in New\u202fYork – „Zitat“ … ‚so‘ ½ ² ³ ①"],
];

forEachBackend("the migration one_search_index", (backend) => {
  it("gives the stories stored before it the words the code writes now", async () => {
    await beforeMigration(backend, "one_search_index", async (opened) => {
      const rows = TEXTS.map(
        ([title, summary], i) =>
          sql`(${`s${i}`}, ${`urn:s${i}`}, 'teaser', ${title}, ${summary}, 'none', ${matchTextOf(title, summary)}, now(), now(), now(), ${`h${i}`})`,
      );
      await opened.db.execute(sql`insert into items (id, guid, kind, title, summary, precision, match_text, feed_at, first_seen_at, updated_at, content_hash)
          values ${sql.join(rows, sql`, `)}`);
      await opened.migrate();
      for (const [i, [title, summary]] of TEXTS.entries()) {
        const written = matchWordsOf(matchTextOf(title, summary));
        const result = await opened.db.execute(
          sql`select match_words = ${written}::tsvector as same, match_words::text as filled from items where id = ${`s${i}`}`,
        );
        const [row] = rowsOf<{ same: boolean; filled: string }>(result);
        expect(row?.same, `${title}: filled ${row?.filled}, written ${written}`).toBe(true);
      }
    });
  });
});
