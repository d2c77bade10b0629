/**
 * Which tags a story belongs to, and whether it is shown at all. Each tag
 * says how it gains stories (its `match`):
 *
 * - `explicit`: only where a source names it (a page's topic, a feed's
 *   category, a tag given to a followed feed);
 * - `words`: those, and every story whose title or summary holds its label
 *   as a whole word, made safe (label-words.ts);
 * - `rules`: those named, and every story one of its `include` rules holds for.
 *
 * A story one of the tag's `exclude` rules holds for is never in it, named
 * or not. A story one of the global `drop` rules holds for is in no tag and
 * no feed.
 */
import type { Tag } from "../item";
import { labelNamesStory, type LabelText } from "./label-words";
import { RuleSet, textsOf, type Rule, type RuleFacts } from "./rules";

export const TAG_MATCHES = ["words", "explicit", "rules"] as const;
export type TagMatch = (typeof TAG_MATCHES)[number];

/**
 * Where a tag came from, which decides how it gains stories when it is
 * first seen, and where the index lists it: the portal's pages' topics
 * match by words (as they always did), a followed feed's categories and
 * the tags a person gives are explicit.
 */
export type TagOrigin = "portal" | "feed" | "person";
export const MATCH_OF_ORIGIN: Record<TagOrigin, TagMatch> = { portal: "words", feed: "explicit", person: "explicit" };

export interface TagDefinition {
  id: number;
  slug: string;
  label: string;
  match: TagMatch;
  include: Rule[];
  exclude: Rule[];
}

/** Every tag's definition, the old names of renamed, merged and removed tags, and the global rules. */
export interface Topics {
  tags: TagDefinition[];
  /** An old slug: the tag it names now, or null for a removed tag. */
  aliases: ReadonlyMap<string, number | null>;
  drop: Rule[];
}

/** What membership reads of a story. */
export interface StoryFacts extends RuleFacts, LabelText {
  /** The tags its sources gave it (items.page_tags). */
  pageTags: readonly Tag[];
}

export type Via = "page" | "match" | "rule";

interface Compiled {
  tag: TagDefinition;
  include: RuleSet;
  exclude: RuleSet;
}

export class TopicBook {
  private readonly compiled: Compiled[];
  private readonly byId = new Map<number, Compiled>();
  private readonly idBySlug = new Map<string, number>();
  private readonly dropRules: RuleSet;
  /** Whether any rule reads the stories' sources: only then are they looked up. */
  readonly readsSources: boolean;
  /** Whether any rule reads more of a story than its title, summary and tags (content, byline, dateline, sources). */
  readonly readsBeyondText: boolean;

  constructor(readonly topics: Topics) {
    this.compiled = topics.tags.map((tag) => ({ tag, include: new RuleSet(tag.match === "rules" ? tag.include : []), exclude: new RuleSet(tag.exclude) }));
    for (const c of this.compiled) this.byId.set(c.tag.id, c);
    for (const tag of topics.tags) this.idBySlug.set(tag.slug, tag.id);
    for (const [slug, id] of topics.aliases) if (id !== null && !this.idBySlug.has(slug)) this.idBySlug.set(slug, id);
    this.dropRules = new RuleSet(topics.drop);
    const sets = [this.dropRules, ...this.compiled.flatMap((c) => [c.include, c.exclude])];
    this.readsSources = sets.some((set) => set.readsSources);
    this.readsBeyondText = sets.some((set) => set.readsBeyondText);
  }

  /** The tag a slug names, through the old names of renamed and merged tags; undefined for a removed or unknown one. */
  tagIdOf(slug: string): number | undefined {
    return this.idBySlug.get(slug);
  }

  /** Whether a global rule drops the story. */
  dropped(facts: StoryFacts): boolean {
    return !this.dropRules.empty && this.dropRules.anyHolds(facts);
  }

  /** The tags the story belongs to, each once: named first, in the order its sources gave them. */
  memberships(facts: StoryFacts): { tagId: number; via: Via }[] {
    if (this.dropped(facts)) return [];
    const texts = textsOf(facts);
    const named = new Set<number>();
    for (const { slug } of facts.pageTags) {
      const id = this.idBySlug.get(slug);
      if (id !== undefined) named.add(id);
    }
    const found: { tagId: number; via: Via }[] = [];
    for (const { tag, include, exclude } of this.compiled) {
      const via = named.has(tag.id) ? "page" : this.gains(tag, include, facts, texts);
      if (via && (exclude.empty || !exclude.anyHolds(facts, texts))) found.push({ tagId: tag.id, via });
    }
    return found;
  }

  /** Whether one tag has the story, and how: memberships() for that tag alone. */
  member(tagId: number, facts: StoryFacts): Via | null {
    const compiled = this.byId.get(tagId);
    if (!compiled || this.dropped(facts)) return null;
    const { tag, include, exclude } = compiled;
    const texts = textsOf(facts);
    const named = facts.pageTags.some(({ slug }) => this.idBySlug.get(slug) === tag.id);
    const via = named ? "page" : this.gains(tag, include, facts, texts);
    return via && (exclude.empty || !exclude.anyHolds(facts, texts)) ? via : null;
  }

  private gains(tag: TagDefinition, include: RuleSet, facts: StoryFacts, texts: ReturnType<typeof textsOf>): Via | null {
    if (tag.match === "words") return labelNamesStory(tag.label, facts) ? "match" : null;
    if (tag.match === "rules") return !include.empty && include.anyHolds(facts, texts) ? "rule" : null;
    return null;
  }
}
