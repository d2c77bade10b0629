/**
 * Topics as stored: each tag's definition (how it gains stories, its
 * rules), the old names of renamed, merged and removed tags, and the global
 * rules that drop stories. What normalise/topic/membership decides with,
 * read in the transaction that links stories to tags.
 */
import { eq, sql } from "drizzle-orm";
import { slugify } from "../normalise/slug";
import type { TagDefinition, Topics, StoryFacts } from "../normalise/topic/membership";
import type { Rule } from "../normalise/topic/rules";
import type { Database } from "./database";
import { inJsonList } from "./json-list";
import type { ItemRow } from "./rows";
import { documents, items, itemTags, observations, settings, sources, tagAliases, tags } from "./schema";

/** The settings key of the global rules. */
export const DROP_RULES = "drop";
/** The settings key that records the one-time check of topic-recheck checkSafeWordsOnce. */
export const SAFE_WORDS_CHECKED = "checked:safe-words";

export async function readTopics(tx: Database): Promise<Topics> {
  const [defined, aliases, drop] = await Promise.all([
    tx
      .select({ id: tags.id, slug: tags.slug, label: tags.label, match: tags.match, include: tags.include, exclude: tags.exclude })
      .from(tags)
      .prepare("topic_tags")
      .execute(),
    tx.select({ slug: tagAliases.slug, tagId: tagAliases.tagId }).from(tagAliases).prepare("topic_aliases").execute(),
    tx.select({ value: settings.value }).from(settings).where(eq(settings.key, DROP_RULES)).prepare("topic_drop").execute(),
  ]);
  return {
    tags: defined as TagDefinition[],
    aliases: new Map(aliases.map((a) => [a.slug, a.tagId])),
    drop: (drop[0]?.value as Rule[] | undefined) ?? [],
  };
}

/** The global rules. */
export async function readDropRules(db: Database): Promise<Rule[]> {
  const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, DROP_RULES));
  return (row?.value as Rule[] | undefined) ?? [];
}

/** The names and addresses of the sources that show each of these items: what rules over "source" read. */
export async function sourceNamesOf(tx: Database, itemIds: readonly string[]): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  if (!itemIds.length) return found;
  const rows = await tx
    .selectDistinct({ itemId: observations.itemId, name: sources.name, url: sources.url })
    .from(observations)
    .innerJoin(documents, eq(documents.id, observations.documentId))
    .innerJoin(sources, eq(sources.id, documents.sourceId))
    .where(inJsonList(observations.itemId, [...itemIds]));
  for (const r of rows) {
    const list = found.get(r.itemId) ?? [];
    list.push(r.name);
    if (r.url && r.url !== r.name) list.push(r.url);
    found.set(r.itemId, list);
  }
  return found;
}

/** The columns membership reads of a stored story (factsOf), its content only where a rule reads it: stories are read by the thousand. */
export function factColumns(readsContent: boolean) {
  return {
    id: items.id,
    title: items.title,
    summary: items.summary,
    matchText: items.matchText,
    contentHtml: readsContent ? items.contentHtml : sql<string | null>`null`,
    agency: items.agency,
    dateline: items.dateline,
    pageTags: items.pageTags,
  };
}

/** What membership reads of a stored story; its sources from `sourcesOf`, asked only by a rule over sources. */
export function factsOf(
  row: Pick<ItemRow, "id" | "title" | "summary" | "matchText" | "contentHtml" | "agency" | "dateline" | "pageTags">,
  sourcesOf?: (id: string) => readonly string[],
): StoryFacts {
  return {
    title: row.title,
    summary: row.summary,
    matchText: row.matchText,
    contentHtml: row.contentHtml,
    agency: row.agency,
    dateline: row.dateline,
    pageTags: row.pageTags,
    categories: row.pageTags.map((t) => t.label),
    sources: () => sourcesOf?.(row.id) ?? [],
  };
}

/** The old slugs among these, and whether each leads to a tag: a document naming one names the tag it leads to. */
export async function aliasesAmong(tx: Database, slugs: readonly string[]): Promise<Set<string>> {
  if (!slugs.length) return new Set();
  const rows = await tx
    .select({ slug: tagAliases.slug })
    .from(tagAliases)
    .where(inJsonList(tagAliases.slug, [...slugs]));
  return new Set(rows.map((r) => r.slug));
}

/**
 * A person names these tags again (a tag given to a feed, a topic in the sources file): those removed
 * before may be created again. Renamed and merged ones keep leading to the tag that has them. Returns
 * the slugs that were removed tags.
 */
export async function reviveTags(tx: Database, slugs: readonly string[]): Promise<Set<string>> {
  if (!slugs.length) return new Set();
  const revived = await tx
    .delete(tagAliases)
    .where(sql`${tagAliases.tagId} is null and ${inJsonList(tagAliases.slug, [...slugs])}`)
    .returning({ slug: tagAliases.slug });
  return new Set(revived.map((r) => r.slug));
}

/**
 * Links these tags (come back after being removed) to the stored stories whose sources name them
 * (items.page_tags), as a document naming them would. Reads every story: only a tag that comes back can have
 * stories naming it already. Returns the tags that gained stories.
 */
export async function linkNamed(tx: Database, revived: readonly { id: number; slug: string }[]): Promise<number[]> {
  const gained: number[] = [];
  for (const tag of revived) {
    const linked = await tx.execute(sql`insert into ${itemTags} (item_id, tag_id, via)
      select ${items.id}, ${tag.id}, 'page' from ${items}
      where ${items.pageTags} @> ${JSON.stringify([{ slug: tag.slug }])}::jsonb and not ${items.dropped}
      on conflict do nothing returning item_id`);
    if ((Array.isArray(linked) ? linked : (linked as { rows: unknown[] }).rows).length) gained.push(tag.id);
  }
  return gained;
}

/** A tag as `tags list` and the admin API show it. */
export interface TagOverview {
  slug: string;
  label: string;
  items: number;
  match: TagDefinition["match"];
  origin: "portal" | "feed" | "person";
  include: Rule[];
  exclude: Rule[];
  /** The sources that name it: followed feeds given it, and sources whose documents name it (their names). */
  sources: string[];
  /** Its old names (renamed or merged into it). */
  aliases: string[];
}

export async function tagOverview(db: Database): Promise<{ tags: TagOverview[]; removed: string[]; drop: Rule[] }> {
  const [rows, aliasRows, named, followed, drop] = await Promise.all([
    db
      .select({
        id: tags.id,
        slug: tags.slug,
        label: tags.label,
        match: tags.match,
        origin: tags.origin,
        include: tags.include,
        exclude: tags.exclude,
        items: sql<number>`(select count(*) from item_tags it where it.tag_id = ${tags.id})::int`,
      })
      .from(tags),
    db.select({ slug: tagAliases.slug, tagId: tagAliases.tagId }).from(tagAliases),
    // which sources' documents name which slugs: read from every observation, as a listing may
    db.execute(sql`select distinct e.value->>'slug' as slug, s.name as name
      from ${observations} o cross join lateral jsonb_array_elements(o.tags) e
      join ${documents} d on d.id = o.document_id join ${sources} s on s.id = d.source_id`),
    db.select({ name: sources.name, tags: sources.tags }).from(sources),
    db.select({ value: settings.value }).from(settings).where(eq(settings.key, DROP_RULES)),
  ]);
  const idOfSlug = new Map<string, number | null>(rows.map((r) => [r.slug, r.id]));
  for (const a of aliasRows) if (!idOfSlug.has(a.slug)) idOfSlug.set(a.slug, a.tagId);
  const sourcesOf = new Map<number, Set<string>>();
  const credit = (slug: string, name: string) => {
    const id = idOfSlug.get(slug);
    if (id == null) return;
    sourcesOf.set(id, (sourcesOf.get(id) ?? new Set()).add(name));
  };
  for (const r of (Array.isArray(named) ? named : (named as { rows: unknown[] }).rows) as { slug: string; name: string }[]) credit(r.slug, r.name);
  for (const f of followed) for (const label of f.tags) credit(slugify(label), f.name);
  return {
    tags: rows
      .map((r) => ({
        slug: r.slug,
        label: r.label,
        items: r.items,
        match: r.match,
        origin: r.origin,
        include: r.include,
        exclude: r.exclude,
        sources: [...(sourcesOf.get(r.id) ?? [])].sort(),
        aliases: aliasRows
          .filter((a) => a.tagId === r.id)
          .map((a) => a.slug)
          .sort(),
      }))
      .sort((a, b) => b.items - a.items || (a.slug < b.slug ? -1 : 1)),
    removed: aliasRows
      .filter((a) => a.tagId === null)
      .map((a) => a.slug)
      .sort(),
    drop: (drop[0]?.value as Rule[] | undefined) ?? [],
  };
}
