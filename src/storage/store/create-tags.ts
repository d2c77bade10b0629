/** Creates the tags a group brings that are not yet known, under the ingestion lock held alone. */
import { sql } from "drizzle-orm";
import type { Tag } from "../../normalise/item";
import { MATCH_OF_ORIGIN, type TagOrigin } from "../../normalise/topic/membership";
import type { Database } from "../database";
import { tagAliases, tags } from "../schema";
import type { Plan } from "./plan";

/** A tag a document or a person brings, and where it comes from: what it gains stories by when it is new. */
export type OriginTag = Tag & { origin: TagOrigin };

/** The tags the documents bring, each with its origin: the items' from the document, the sources' own from a person. */
export function tagsBrought(plans: readonly Plan[]): OriginTag[] {
  return plans.flatMap((p) => [
    ...p.items.flatMap((i) => i.tags.map((t) => ({ ...t, origin: p.doc.tagOrigin ?? ((p.doc.source.kind === "page" ? "portal" : "feed") as TagOrigin) }))),
    ...p.ownTags.map((t) => ({ ...t, origin: "person" as const })),
  ]);
}

/**
 * Creates the tags not yet known (the first label of a slug wins, and its origin decides how it gains stories:
 * MATCH_OF_ORIGIN); returns those created. The old name of a renamed, merged or removed tag is known: it names
 * the tag it leads to, or nothing.
 */
export async function createTags(tx: Database, given: OriginTag[]) {
  const wanted = new Map<string, OriginTag>();
  for (const tag of given) if (!wanted.has(tag.slug)) wanted.set(tag.slug, tag);
  if (!wanted.size) return [];
  const rows = JSON.stringify([...wanted.values()].map(({ slug, label, origin }) => ({ slug, label, origin, match: MATCH_OF_ORIGIN[origin] })));
  const created = await tx.execute(sql`
    insert into ${tags} (slug, label, origin, match)
    select r.slug, r.label, r.origin, r.match from jsonb_to_recordset(${rows}::jsonb) as r(slug text, label text, origin text, match text)
    where not exists (select 1 from ${tagAliases} a where a.slug = r.slug)
    on conflict do nothing
    returning id, slug, label, match`);
  return rowsOf<{ id: number; slug: string; label: string; match: string }>(created).map((r) => ({
    id: Number(r.id),
    slug: r.slug,
    label: r.label,
    match: r.match,
  }));
}

/** postgres.js answers an execute with the rows, PGlite with an object holding them. */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;
}
