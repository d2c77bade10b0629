/**
 * Stored items get the updated of the current rule (normalise/merge derive())
 * from the migration honest_updated: a database written before it, with every
 * items.updated_at wrong, holds after it exactly what deriving the item from
 * its stored observations gives, and the feeds of changed items' tags are
 * versioned anew. On both storage backends.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { asc, eq, getTableColumns, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { derive, type Observation } from "../src/normalise/merge";
import { parsePage } from "../src/input/page/parse";
import { ingestPage } from "../src/pipeline/ingest-page";
import type { Database } from "../src/storage/database";
import { feedState, items, itemTags, observations, tags } from "../src/storage/schema";
import { storeDocument } from "../src/storage/store-document";
import { forEachBackend } from "./support/databases";
import { copyRows, migrateBefore } from "./support/migrations";

const pages = join(import.meta.dirname, "pages");
const page = (name: string, fetchedAt: string) => ({ name, bytes: new Uint8Array(readFileSync(join(pages, name))), fetchedAt: new Date(fetchedAt) });
const PORTAL = { kind: "page" as const, name: "portal" };

/** Pages and corrections whose items are dated, undated, changed, changed back and given new comment counts. */
async function storeHistory(db: Database): Promise<void> {
  await ingestPage(db, page("seed-alaska.txt", "2025-12-09T13:00:00Z"));
  await ingestPage(db, page("prag-followup.txt", "2025-12-09T15:00:00Z"));
  await ingestPage(db, page("winter-no-image.txt", "2026-01-15T09:00:00Z"));
  const seed = parsePage(readFileSync(join(pages, "seed-alaska.txt"), "utf8"), new Date("2025-12-09T13:00:00Z"));
  const seymour = seed.find((i) => i.title === "Jane Seymour")!;
  const corrected = { ...seymour, summary: `${seymour.summary} (korrigiert)`, commentCount: 7 };
  const store = (name: string, fetchedAt: string, item: typeof seymour) =>
    storeDocument(db, { source: PORTAL, name, sha256: name, fetchedAt: new Date(fetchedAt), items: [item] });
  await store("corrected", "2025-12-10T08:00:00Z", corrected);
  await store("reverted", "2025-12-11T08:00:00Z", seymour);
}

async function derivedFromObservations(db: Database): Promise<Record<string, string>> {
  // the schema before the migration has no untimed_at (added later): the rest, which updated does not read
  const { untimedAt: _, ...columns } = getTableColumns(observations);
  const rows = await db.select(columns).from(observations);
  const byItem = new Map<string, Observation[]>();
  for (const o of rows) byItem.set(o.itemId, [...(byItem.get(o.itemId) ?? []), { ...o, untimedAt: null }]);
  return Object.fromEntries([...byItem].map(([id, obs]) => [id, derive(obs).updatedAt.toISOString()]));
}

const updatedById = async (db: Database) =>
  Object.fromEntries(
    (await db.select({ id: items.id, updatedAt: items.updatedAt }).from(items).orderBy(asc(items.id))).map((r) => [r.id, r.updatedAt.toISOString()]),
  );
const versions = async (db: Database) => ({
  tags: Object.fromEntries((await db.select({ slug: tags.slug, version: tags.version }).from(tags)).map((t) => [t.slug, t.version])),
  changed: Object.fromEntries((await db.select({ slug: tags.slug, changedAt: tags.changedAt }).from(tags)).map((t) => [t.slug, t.changedAt.getTime()])),
  all: (await db.select().from(feedState)).find((s) => s.key === "all"),
});

forEachBackend("the migration honest_updated", (backend) => {
  it("sets every stored item's updated to what its observations give, and versions the feeds that change", async () => {
    const scratch = await backend.scratch();
    const opened = await scratch.open();
    // today's code writes columns added since: it stores the history on a database of its own, copied over as far as the old schema goes
    const written = await backend.open();
    try {
      await migrateBefore(opened, backend, "honest_updated");
      await storeHistory(written.db);
      await copyRows(written.db, opened.db);
      const expected = await derivedFromObservations(opened.db);
      expect(await updatedById(opened.db)).toEqual(expected);
      // distinct values, or the test could not tell a right row from a wrong one
      expect(new Set(Object.values(expected)).size).toBeGreaterThan(10);

      // as an older rule left them: every row wrong, by a different amount
      await opened.db.execute(sql`update items set updated_at = first_seen_at + (length(id) + ascii(id)) * interval '1 minute' + interval '3 days'`);
      const stale = await updatedById(opened.db);
      for (const id of Object.keys(expected)) expect(stale[id], id).not.toBe(expected[id]);
      const before = await versions(opened.db);

      await opened.migrate();
      expect(await updatedById(opened.db)).toEqual(expected);
      const after = await versions(opened.db);
      expect(after.all!.version).toBe(before.all!.version + 1);
      expect(after.all!.changedAt.getTime()).toBeGreaterThan(before.all!.changedAt.getTime());
      const linked = new Set(
        (await opened.db.selectDistinct({ slug: tags.slug }).from(itemTags).innerJoin(tags, eq(tags.id, itemTags.tagId))).map((t) => t.slug),
      );
      expect(linked.size).toBeGreaterThan(10);
      for (const [slug, version] of Object.entries(before.tags)) {
        expect(after.tags[slug], slug).toBe(linked.has(slug) ? version + 1 : version);
        // Last-Modified moves with the bytes, for readers that revalidate by date
        if (linked.has(slug)) expect(after.changed[slug], slug).toBeGreaterThan(before.changed[slug]!);
        else expect(after.changed[slug], slug).toBe(before.changed[slug]);
      }
    } finally {
      await written.close();
      await opened.close();
      await scratch.dispose();
    }
  }, 120_000);
});
