/**
 * Rules a person writes: which stories a tag includes or excludes, and
 * which stories no feed shows at all. A rule is
 *
 * - a string: those words, as a whole-word phrase, in the title or summary
 *   ("Selenskyj", "Nord Stream"), ignoring case;
 * - `{"words": "…", "in": FIELDS?, "matchCase"?: true}`: the same, in other fields;
 * - `{"pattern": "…", "in": FIELDS?, "matchCase"?: true}`: a regular expression
 *   (RE2 syntax, run by re2js: time linear in the text, so no pattern can
 *   backtrack catastrophically, whoever wrote it), ignoring case unless told;
 * - `{"all": [RULE, …]}`: every one of them holds ("Liveticker" in the title
 *   of one source's stories).
 *
 * FIELDS is one field or a list of them; the default is title and summary.
 */
import { RE2JS } from "re2js";
import { htmlText } from "../html";
import { comparable } from "../text";

export const RULE_FIELDS = ["title", "summary", "content", "author", "agency", "dateline", "source", "category"] as const;
export type RuleField = (typeof RULE_FIELDS)[number];

export interface WordsRule {
  words: string;
  in?: RuleField | RuleField[] | undefined;
  matchCase?: boolean | undefined;
}
export interface PatternRule {
  pattern: string;
  in?: RuleField | RuleField[] | undefined;
  matchCase?: boolean | undefined;
}
export interface AllRule {
  all: Rule[];
}
export type Rule = string | WordsRule | PatternRule | AllRule;

/** What rules read of a story. `sources` is asked only by a rule over sources, and `content` text made only for one over content. */
export interface RuleFacts {
  title: string;
  summary: string;
  contentHtml: string | null;
  /** The byline: a feed entry's author, a page's agency (feedwerk keeps one for both). */
  agency: string | null;
  dateline: string | null;
  /** The labels of the tags the story's sources gave it. */
  categories: readonly string[];
  /** The names and addresses of the sources that show the story. */
  sources: () => readonly string[];
}

type Test = (text: TextCache) => boolean;

/** A story's field texts, each made once however many rules read it. */
class TextCache {
  private content: string | undefined;
  private comparables = new Map<string, string>();
  constructor(private readonly facts: RuleFacts) {}

  values(field: RuleField): readonly string[] {
    const f = this.facts;
    switch (field) {
      case "title":
        return [bounded(f.title)];
      case "summary":
        return [bounded(f.summary)];
      case "content":
        // the markup's beginning is enough for the text's: a long article is not made text whole for a rule that reads its start
        this.content ??= f.contentHtml ? bounded(htmlText(f.contentHtml.slice(0, MAX_FIELD_CHARS * 4))) : "";
        return [this.content];
      case "author":
      case "agency":
        return f.agency ? [f.agency] : [];
      case "dateline":
        return f.dateline ? [f.dateline] : [];
      case "source":
        return f.sources();
      case "category":
        return f.categories;
    }
  }

  comparable(text: string): string {
    let found = this.comparables.get(text);
    if (found === undefined) {
      found = comparable(text);
      this.comparables.set(text, found);
    }
    return found;
  }
}

const DEFAULT_FIELDS: readonly RuleField[] = ["title", "summary"];

/**
 * RE2 runs in time linear in the text, but the factor is the pattern's program: `\pL{1000}` over a long
 * article takes seconds, for every story stored. A pattern's program is bounded, and so is the text of a
 * field rules read (an article's beginning says what it is about).
 */
export const MAX_PROGRAM = 400;
export const MAX_FIELD_CHARS = 20_000;
const bounded = (text: string) => (text.length > MAX_FIELD_CHARS ? text.slice(0, MAX_FIELD_CHARS) : text);
const fieldsOf = (given: RuleField | RuleField[] | undefined): readonly RuleField[] =>
  given === undefined ? DEFAULT_FIELDS : Array.isArray(given) ? given : [given];

const wholeWord = (text: string, flags: string) => new RegExp(`(?<![\\p{L}\\p{N}])${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\p{L}\\p{N}])`, flags);
const asWritten = (text: string) => text.normalize("NFKC").replace(/\s+/gu, " ").trim();

/** Why a rule cannot be used (a pattern RE2 cannot read, words without a letter or digit), or null. */
export function ruleProblem(rule: Rule): string | null {
  try {
    compile(rule);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

function compile(rule: Rule): Test {
  if (typeof rule === "string") return compile({ words: rule });
  if ("all" in rule) {
    if (!rule.all.length) throw new Error("'all' needs at least one rule");
    const parts = rule.all.map(compile);
    return (text) => parts.every((test) => test(text));
  }
  const fields = fieldsOf(rule.in);
  if ("words" in rule) {
    const needle = rule.matchCase ? asWritten(rule.words) : comparable(rule.words);
    if (!/[\p{L}\p{N}]/u.test(needle)) throw new Error(`words '${rule.words}' hold no letter or digit`);
    const pattern = wholeWord(needle, "u");
    return (text) =>
      fields.some((field) =>
        text.values(field).some((value) => {
          const haystack = rule.matchCase ? asWritten(value) : text.comparable(value);
          return haystack.includes(needle) && pattern.test(haystack);
        }),
      );
  }
  let pattern: RE2JS;
  try {
    pattern = RE2JS.compile(rule.pattern, rule.matchCase ? 0 : RE2JS.CASE_INSENSITIVE);
  } catch (error) {
    // re2js writes the flag it was given into the pattern it quotes: the message quotes what the person wrote
    throw new Error(`pattern '${rule.pattern}': ${(error as Error).message.replace(/^error parsing regexp: /, "").replaceAll("`(?i)", "`")}`);
  }
  if (pattern.programSize() > MAX_PROGRAM) {
    throw new Error(`pattern '${rule.pattern}' is too large to run on every story (${pattern.programSize()} steps; at most ${MAX_PROGRAM})`);
  }
  return (text) => fields.some((field) => text.values(field).some((value) => pattern.matcher(value).find()));
}

/** A list of rules compiled once: whether any of them holds for a story. */
export class RuleSet {
  private readonly tests: Test[];
  constructor(readonly rules: readonly Rule[]) {
    this.tests = rules.map(compile);
  }

  get empty(): boolean {
    return this.tests.length === 0;
  }

  /** Whether any rule reads the stories' sources (which storage then looks up). */
  get readsSources(): boolean {
    return this.rules.some((rule) => reads(rule, ["source"]));
  }

  /** Whether any rule reads more than title, summary and categories: what a story can change without its words changing. */
  get readsBeyondText(): boolean {
    return this.rules.some((rule) => reads(rule, ["content", "author", "agency", "dateline", "source"]));
  }

  anyHolds(facts: RuleFacts, text: TextCache = new TextCache(facts)): boolean {
    return this.tests.some((test) => test(text));
  }
}

function reads(rule: Rule, fields: readonly RuleField[]): boolean {
  if (typeof rule === "string") return false;
  if ("all" in rule) return rule.all.some((part) => reads(part, fields));
  return fieldsOf(rule.in).some((field) => fields.includes(field));
}

/** The text cache for one story, shared by every rule set tested on it. */
export function textsOf(facts: RuleFacts): TextCache {
  return new TextCache(facts);
}
export type { TextCache };

/** A rule as a person reads it in a listing: `"Kiew"`, `/^Anzeige/ in title`, `all(…)`. */
export function describeRule(rule: Rule): string {
  if (typeof rule === "string") return JSON.stringify(rule);
  if ("all" in rule) return `all(${rule.all.map(describeRule).join(", ")})`;
  const where = rule.in === undefined ? "" : ` in ${fieldsOf(rule.in).join(", ")}`;
  const what = "words" in rule ? JSON.stringify(rule.words) : `/${rule.pattern}/`;
  return `${what}${where}${rule.matchCase ? " (match case)" : ""}`;
}
