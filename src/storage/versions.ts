/** The version of every feed, read in one query, for caches of rendered feeds. */
import type { Database } from "./database";
import { eq } from "drizzle-orm";
import { feedState, tagAliases, tags } from "./schema";

export interface TagState {
  id: number;
  slug: string;
  label: string;
  version: number;
  changedAt: Date;
}

export interface VersionSnapshot {
  tags: Map<string, TagState>;
  /** The "all" feed: changes with any item. */
  all: { version: number; changedAt: Date };
  /** Old slugs of renamed and merged tags, with the slug that has them now; null for a removed tag (410). */
  aliases: Map<string, string | null>;
}

export async function readVersions(db: Database): Promise<VersionSnapshot> {
  const [rows, state, aliases] = await Promise.all([
    db.select({ id: tags.id, slug: tags.slug, label: tags.label, version: tags.version, changedAt: tags.changedAt }).from(tags),
    db.select().from(feedState),
    db.select({ slug: tagAliases.slug, to: tags.slug }).from(tagAliases).leftJoin(tags, eq(tags.id, tagAliases.tagId)),
  ]);
  const all = state.find((s) => s.key === "all");
  return {
    tags: new Map(rows.map((r) => [r.slug, r])),
    all: { version: all?.version ?? 0, changedAt: all?.changedAt ?? new Date(0) },
    aliases: new Map(aliases.map((a) => [a.slug, a.to])),
  };
}
