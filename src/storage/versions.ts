/** The version of every feed, read in one query, for caches of rendered feeds. */
import type { Database } from "./database";
import { feedState, tags } from "./schema";

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
}

export async function readVersions(db: Database): Promise<VersionSnapshot> {
  const [rows, state] = await Promise.all([
    db.select({ id: tags.id, slug: tags.slug, label: tags.label, version: tags.version, changedAt: tags.changedAt }).from(tags),
    db.select().from(feedState),
  ]);
  const all = state.find((s) => s.key === "all");
  return {
    tags: new Map(rows.map((r) => [r.slug, r])),
    all: { version: all?.version ?? 0, changedAt: all?.changedAt ?? new Date(0) },
  };
}
