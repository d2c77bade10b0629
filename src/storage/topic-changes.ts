/**
 * Changes a person makes to topics, and their effect on the stories stored:
 * a tag's match and rules, the global rules, renaming, merging and removing
 * tags. Each runs in one transaction holding the ingestion lock alone (no
 * document is being linked meanwhile), re-checks the stored stories it can
 * change (topic-recheck.ts), and bumps the versions of the feeds that
 * changed. A dry run does the same work and rolls it back, reporting what it
 * would have changed.
 */
import { and, eq, sql } from "drizzle-orm";
import { slugify } from "../normalise/slug";
import { tagsFromLabels } from "../normalise/tag-union";
import { TopicBook, type TagDefinition, type TagMatch, type Topics } from "../normalise/topic/membership";
import type { Rule } from "../normalise/topic/rules";
import type { Database } from "./database";
import { inJsonList } from "./json-list";
import { itemTags, settings, sources, tagAliases, tags } from "./schema";
import { retagItems, withIngestionsHeld, withIngestionsShared } from "./source-tags";
import { itemIdsOfSource } from "./sources";
import { bumpVersions } from "./store-document";
import { reapply, tagsOfItems, type StoryRef } from "./topic-recheck";
import { DROP_RULES, readTopics } from "./topics";

/** How a tag gains stories, as the sources file and the admin API say it; what is left out stays as it is. */
export interface TopicSetting {
  match?: TagMatch | undefined;
  include?: Rule[] | undefined;
  exclude?: Rule[] | undefined;
}

export interface TagChange {
  slug: string;
  label: string;
  /** The tag did not exist before (a topic defined by its rules alone). */
  created: boolean;
  /** Where the change named the tag by an old name (renamed or merged since): that name. */
  renamedFrom?: string | undefined;
  added: StoryRef[];
  removed: StoryRef[];
}

export interface TopicReport {
  tags: TagChange[];
  /** The global rules, where the change replaced them. */
  drop?: { before: Rule[]; after: Rule[] } | undefined;
  /** Stories the global rules drop now, and those they no longer drop. */
  dropped: StoryRef[];
  restored: StoryRef[];
  /** The tags whose feeds changed. */
  changedTags: string[];
  /** Whether anything a feed shows changed ("all" included). */
  anyChange: boolean;
}

/** Runs a topic change under the ingestion lock, held alone: no document is linked meanwhile. */
function topicChange<T>(db: Database, change: (tx: Database) => Promise<T>): Promise<T> {
  return withIngestionsHeld(db, change);
}

/** A tag given by its slug or label, or an error that says what the name is instead (an old name, nothing). */
export class TagNotFoundError extends Error {
  override name = "TagNotFoundError";
}

/** A change that cannot be made as asked: a name taken, a tag merged into itself, include rules on a tag matching by words. */
export class TopicChangeError extends Error {
  override name = "TopicChangeError";
  /** Each fault on its own, at its place (`tags.krieg.include: …`), where there are several. */
  readonly faults: string[];
  constructor(message: string, faults?: string[]) {
    super(message);
    this.faults = faults ?? [message];
  }
}

/** The tag named by its slug or label; a TagNotFoundError that says what became of it where there is none. */
export async function findTag(tx: Database, name: string) {
  const slug = slugify(name);
  const [tag] = await tx.select().from(tags).where(eq(tags.slug, slug));
  if (tag) return tag;
  const [alias] = await tx
    .select({ tagId: tagAliases.tagId, to: tags.slug })
    .from(tagAliases)
    .leftJoin(tags, eq(tags.id, tagAliases.tagId))
    .where(eq(tagAliases.slug, slug));
  if (alias?.to) throw new TagNotFoundError(`${name}: no such tag; it was renamed or merged into '${alias.to}'`);
  if (alias) throw new TagNotFoundError(`${name}: no such tag; it was removed`);
  throw new TagNotFoundError(`${name}: no such tag ('tags list' lists them)`);
}

/** One tag a change of topics names, as it resolves: the tag it is (through an old name), or one to create. */
interface TagPlan {
  /** The key as written (a label or slug). */
  name: string;
  /** The tag it names now; undefined where it is created. */
  existing: typeof tags.$inferSelect | undefined;
  /** Where the key is the old name of a renamed or merged tag: that tag's slug. */
  renamedTo: string | undefined;
  slug: string;
  next: { match: TagMatch; include: Rule[]; exclude: Rule[] };
  /** Whether its settings change (a new tag always does). */
  changes: boolean;
}

/**
 * What a change of topics would do to each tag it names, or what is wrong with it, each fault at its place
 * (`tags.krieg.include: …`): checked before anything changes, so that a file with a fault changes nothing. A
 * key that is the old name of a renamed or merged tag names that tag; two keys naming one tag are a fault.
 */
async function planTopics(tx: Database, given: Record<string, TopicSetting>): Promise<{ plans: TagPlan[]; faults: string[] }> {
  const plans: TagPlan[] = [];
  const faults: string[] = [];
  const named = new Map<string, string>();
  for (const [name, setting] of Object.entries(given)) {
    let slug = slugify(name);
    if (!slug) {
      faults.push(`tags.${name}: a tag needs a letter or digit`);
      continue;
    }
    let [existing] = await tx.select().from(tags).where(eq(tags.slug, slug));
    let renamedTo: string | undefined;
    if (!existing) {
      const [alias] = await tx.select({ tagId: tagAliases.tagId }).from(tagAliases).where(eq(tagAliases.slug, slug));
      if (alias?.tagId != null) {
        [existing] = await tx.select().from(tags).where(eq(tags.id, alias.tagId));
        renamedTo = existing!.slug;
        slug = existing!.slug;
      }
    }
    const earlier = named.get(slug);
    if (earlier !== undefined) {
      faults.push(`tags.${name}: names the same tag as "${earlier}" (${slug})`);
      continue;
    }
    named.set(slug, name);
    const match: TagMatch = setting.match ?? existing?.match ?? (setting.include?.length ? "rules" : "words");
    if (setting.include?.length && match !== "rules") {
      faults.push(`tags.${name}.include: include rules need "match": "rules"; the tag matches by "${match}": say "match": "rules" with them`);
      continue;
    }
    // include rules stay with a tag that stops matching by rules, unused until it matches by rules again
    const next = { match, include: setting.include ?? existing?.include ?? [], exclude: setting.exclude ?? existing?.exclude ?? [] };
    const changes =
      !existing || canonicalJson([existing.match, existing.include, existing.exclude]) !== canonicalJson([next.match, next.include, next.exclude]);
    plans.push({ name, existing, renamedTo, slug, next, changes });
  }
  return { plans, faults };
}

/** What is wrong with a change of topics, as `planTopics` finds it, without changing anything. */
export async function topicFaults(db: Database, given: Record<string, TopicSetting>): Promise<string[]> {
  return (await planTopics(db, given)).faults;
}

/**
 * Sets how tags gain stories and the global rules, and re-checks every
 * stored story against what changed. A tag not known yet is created (a
 * topic made of rules); one removed before comes back; the old name of a
 * renamed or merged tag names that tag. Settings left out keep their value;
 * a given list of rules replaces the one before; a tag whose settings say
 * what they said changes nothing. A dry run writes nothing and holds the
 * ingestion lock shared, so that polling goes on meanwhile.
 */
export async function changeTopics(
  db: Database,
  change: { tags?: Record<string, TopicSetting> | undefined; drop?: Rule[] | undefined },
  options: { dryRun?: boolean | undefined } = {},
): Promise<TopicReport> {
  const dryRun = Boolean(options.dryRun);
  return (dryRun ? withIngestionsShared : withIngestionsHeld)(db, async (tx) => {
    const { plans, faults } = await planTopics(tx, change.tags ?? {});
    if (faults.length) throw new TopicChangeError(faults.join("; "), faults);
    const [stored] = await tx.select({ value: settings.value }).from(settings).where(eq(settings.key, DROP_RULES));
    const dropBefore = (stored?.value as Rule[] | undefined) ?? [];
    const dropChanged = change.drop !== undefined && canonicalJson(dropBefore) !== canonicalJson(change.drop);
    const changing = plans.filter((p) => p.changes);

    // the topics as they will be: written and read back, or (a dry run) laid over those read, new tags numbered below zero
    let topics: Topics;
    const idOf = new Map<TagPlan, number>();
    if (dryRun) {
      const now = await readTopics(tx);
      const replaced = new Map<number, TagDefinition>();
      changing.forEach((p, k) => {
        const id = p.existing?.id ?? -(k + 1);
        idOf.set(p, id);
        replaced.set(id, { id, slug: p.slug, label: p.existing?.label ?? p.name, ...p.next });
      });
      topics = {
        tags: [...now.tags.filter((t) => !replaced.has(t.id)), ...replaced.values()],
        aliases: new Map([...now.aliases].filter(([slug]) => !changing.some((p) => !p.existing && p.slug === slug))),
        drop: dropChanged ? change.drop! : now.drop,
      };
    } else {
      for (const p of changing) {
        if (p.existing) {
          await tx.update(tags).set(p.next).where(eq(tags.id, p.existing.id));
          idOf.set(p, p.existing.id);
          continue;
        }
        // a removed tag named again comes back
        await tx.delete(tagAliases).where(eq(tagAliases.slug, p.slug));
        const [row] = await tx
          .insert(tags)
          .values({ slug: p.slug, label: p.name, origin: "person", ...p.next })
          .returning({ id: tags.id });
        idOf.set(p, row!.id);
      }
      if (dropChanged) {
        await tx
          .insert(settings)
          .values({ key: DROP_RULES, value: change.drop! })
          .onConflictDoUpdate({ target: settings.key, set: { value: change.drop!, changedAt: sql`now()` } });
      }
      topics = await readTopics(tx);
    }
    const book = new TopicBook(topics);
    const outcome = await reapply(tx, book, new Set(idOf.values()), dropChanged, !dryRun);
    const report: TopicReport = {
      tags: changing.map((p) => ({
        slug: p.slug,
        label: p.existing?.label ?? p.name,
        created: !p.existing,
        renamedFrom: p.renamedTo ? slugify(p.name) : undefined,
        added: outcome.added.get(idOf.get(p)!) ?? [],
        removed: outcome.removed.get(idOf.get(p)!) ?? [],
      })),
      drop: dropChanged ? { before: dropBefore, after: change.drop! } : undefined,
      dropped: outcome.dropped,
      restored: outcome.restored,
      changedTags: [],
      anyChange: outcome.touched.size > 0,
    };
    if (!dryRun) {
      const created = changing.filter((p) => !p.existing).map((p) => idOf.get(p)!);
      const bump = new Set([...created, ...(await tagsOfItems(tx, [...outcome.touched])), ...outcome.added.keys(), ...outcome.removed.keys()]);
      report.changedTags = await bumpVersions(tx, [...bump], outcome.touched.size > 0);
    }
    return report;
  });
}

/** Replaces the label of tag `from` by `to` in every source's own tags (dropping it where `to` is null). */
async function retagSources(tx: Database, fromSlug: string, to: string | null): Promise<{ tagIds: number[]; items: string[] }> {
  const rows = await tx.select({ id: sources.id, tags: sources.tags }).from(sources);
  const shown = new Set<string>();
  for (const source of rows) {
    if (!tagsFromLabels(source.tags).some((t) => t.slug === fromSlug)) continue;
    const next: string[] = [];
    for (const label of source.tags) {
      const replaced = slugify(label) === fromSlug ? to : label;
      if (replaced !== null && !next.some((l) => slugify(l) === slugify(replaced))) next.push(replaced);
    }
    await tx.update(sources).set({ tags: next }).where(eq(sources.id, source.id));
    for (const id of await itemIdsOfSource(tx, source.id)) shown.add(id);
  }
  // their stories' tags follow at once (items.page_tags), as for any new tags of a feed
  const retagged = await retagItems(tx, [...shown]);
  return { tagIds: retagged.tagIds, items: retagged.changed ? [...shown] : [] };
}

export interface TagRenaming {
  from: string;
  /** The label it had. */
  fromLabel: string;
  to: string;
  /** How many stories the tag has. */
  items: number;
  changedTags: string[];
  /** The tag had this label already: nothing changed. */
  unchanged: boolean;
}

/**
 * Gives a tag a new label (and with it a new slug): its old feed URLs answer
 * 301 to the new ones, documents naming the old slug name it still, and
 * followed feeds given the old label are given the new one.
 */
export function renameTag(db: Database, from: string, to: string): Promise<TagRenaming> {
  return topicChange(db, async (tx) => {
    const tag = await findTag(tx, from);
    const slug = slugify(to);
    if (!slug) throw new TopicChangeError(`${to}: a tag needs a letter or digit`);
    if (slug !== tag.slug) {
      const [taken] = await tx.select({ id: tags.id }).from(tags).where(eq(tags.slug, slug));
      if (taken) throw new TopicChangeError(`${to}: a tag '${slug}' exists already; 'tags merge ${tag.slug} ${slug}' joins the two`);
      // a name that led elsewhere (or nowhere) before is this tag's now
      await tx.delete(tagAliases).where(eq(tagAliases.slug, slug));
      await tx
        .insert(tagAliases)
        .values({ slug: tag.slug, tagId: tag.id })
        .onConflictDoUpdate({ target: tagAliases.slug, set: { tagId: tag.id } });
    }
    if (slug === tag.slug && to === tag.label) {
      return { from: tag.slug, fromLabel: tag.label, to: slug, items: 0, changedTags: [], unchanged: true };
    }
    await tx.update(tags).set({ slug, label: to }).where(eq(tags.id, tag.id));
    const retagged = await retagSources(tx, tag.slug, to);
    const members = await tx.select({ itemId: itemTags.itemId }).from(itemTags).where(eq(itemTags.tagId, tag.id));
    const ids = members.map((m) => m.itemId);
    // every feed showing one of its stories lists the tag by its label
    const changedTags = await bumpVersions(tx, [tag.id, ...retagged.tagIds, ...(await tagsOfItems(tx, ids))], ids.length > 0);
    return { from: tag.slug, fromLabel: tag.label, to: slug, items: ids.length, changedTags, unchanged: false };
  });
}

export interface TagMerge {
  from: string;
  into: string;
  /** Stories the merged tag had, and how many of them the tag it was merged into has now. */
  items: number;
  kept: number;
  /** The merged tag's own match and rules, which are gone: the tag merged into keeps its own. */
  droppedSettings: { match: TagMatch; include: Rule[]; exclude: Rule[] };
  changedTags: string[];
}

/**
 * Merges tag `from` into tag `into`: every source naming `from` names
 * `into` from now on, the old feed URLs answer 301 to the new ones, and
 * `into` keeps its own match and rules (re-checked over every story).
 */
export function mergeTags(db: Database, from: string, into: string): Promise<TagMerge> {
  return topicChange(db, async (tx) => {
    const source = await findTag(tx, from);
    const target = await findTag(tx, into);
    if (source.id === target.id) throw new TopicChangeError(`${from}: cannot merge a tag into itself`);
    const members = (await tx.select({ itemId: itemTags.itemId }).from(itemTags).where(eq(itemTags.tagId, source.id))).map((m) => m.itemId);
    const others = await tagsOfItems(tx, members);
    // the names that led to the merged tag lead to the one it is merged into
    await tx.update(tagAliases).set({ tagId: target.id }).where(eq(tagAliases.tagId, source.id));
    await tx.delete(tags).where(eq(tags.id, source.id));
    await tx.insert(tagAliases).values({ slug: source.slug, tagId: target.id });
    const retagged = await retagSources(tx, source.slug, target.label);
    const book = new TopicBook(await readTopics(tx));
    const outcome = await reapply(tx, book, new Set([target.id]), false);
    const [held] = members.length
      ? await tx
          .select({ n: sql<number>`count(*)::int` })
          .from(itemTags)
          .where(and(eq(itemTags.tagId, target.id), inJsonList(itemTags.itemId, members)))
      : [{ n: 0 }];
    // the stories that left or joined, and those that lost the merged tag: every feed listing them lists their tags
    const bump = [target.id, ...retagged.tagIds, ...others, ...(await tagsOfItems(tx, [...outcome.touched]))].filter((id) => id !== source.id);
    const changedTags = await bumpVersions(tx, bump, members.length > 0 || outcome.touched.size > 0);
    return {
      from: source.slug,
      into: target.slug,
      items: members.length,
      kept: held!.n,
      droppedSettings: { match: source.match, include: source.include, exclude: source.exclude },
      changedTags,
    };
  });
}

export interface TagRemoval {
  slug: string;
  items: number;
  changedTags: string[];
}

/**
 * Removes a tag: its feeds answer 410 Gone, no document's naming it brings
 * it back, and followed feeds no longer give it. A person naming it again
 * (a feed's tag, a topic in the sources file) brings it back.
 */
export function removeTag(db: Database, name: string): Promise<TagRemoval> {
  return topicChange(db, async (tx) => {
    const tag = await findTag(tx, name);
    const members = (await tx.select({ itemId: itemTags.itemId }).from(itemTags).where(eq(itemTags.tagId, tag.id))).map((m) => m.itemId);
    const others = (await tagsOfItems(tx, members)).filter((id) => id !== tag.id);
    // the old names that led to it lead nowhere now (on delete set null), and so does its own
    await tx.delete(tags).where(eq(tags.id, tag.id));
    await tx.insert(tagAliases).values({ slug: tag.slug, tagId: null });
    const retagged = await retagSources(tx, tag.slug, null);
    const changedTags = await bumpVersions(tx, [...others, ...retagged.tagIds], members.length > 0);
    return { slug: tag.slug, items: members.length, changedTags: [tag.slug, ...changedTags].sort() };
  });
}

/** JSON with object keys sorted: jsonb keeps no key order, so rules read back are compared so. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}
