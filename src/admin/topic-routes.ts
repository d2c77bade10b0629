/** The admin API's topics: the tags (set how one gains stories, rename, merge, remove) and the global rules. */
import type { Context, Hono } from "hono";
// a namespace import lets the bundler keep only the parts used; `import { z }` would put all of zod's locales into the Worker
import * as z from "zod";
import { tagLabel } from "../input/feed/source-entry";
import { globalRules, topicSetting } from "../input/topic-settings";
import type { Database } from "../storage/database";
import { changeTopics, mergeTags, removeTag, renameTag, type TopicReport } from "../storage/topic-changes";
import { readDropRules, tagOverview } from "../storage/topics";
import type { AdminOptions } from "./options";
import { problem } from "./problem";
import { checked, jsonBody } from "./request-checks";

const dryRun = z.strictObject({ dry_run: z.enum(["true", "false", "1", "0"]).optional() });
const isDryRun = (query: { dry_run?: string | undefined }) => query.dry_run === "true" || query.dry_run === "1";

/** A topic change as the API reports it. */
const topicView = (report: TopicReport, dry: boolean) => ({
  dry_run: dry,
  tags: report.tags.map((t) => ({ slug: t.slug, label: t.label, created: t.created, added: t.added, removed: t.removed })),
  dropped: report.dropped,
  restored: report.restored,
  changed_tags: report.changedTags,
});

const tagParam = (c: Context) => {
  const name = c.req.param("tag") ?? "";
  const checkedName = tagLabel.safeParse(name);
  return checkedName.success ? checkedName.data : null;
};

/** GET /tags, PUT and DELETE /tags/:tag, POST /tags/:tag/rename and /tags/:tag/merge, GET and PUT /rules. */
export function addTopicRoutes(api: Hono, { db, onChange }: { db: Database; onChange: AdminOptions["onChange"] }): void {
  /** Feeds changed by a change of topics: rendered anew, the hub told (with "all" where any story's tags or visibility changed). */
  const changed = (changedTags: string[], anyChange = changedTags.length > 0) => {
    if (anyChange) onChange?.({ new: 0, updated: 0, unchanged: 0, retired: 0, outcomes: [], newTags: [], changedTags });
  };

  api.get("/tags", async (c) => {
    const { tags, removed, drop } = await tagOverview(db);
    return c.json({ tags, removed, rules: { drop } });
  });

  api.put("/tags/:tag", jsonBody, checked("json", topicSetting), checked("query", dryRun), async (c) => {
    const name = tagParam(c);
    if (!name) return problem(400, "a tag needs a letter or digit");
    const dry = isDryRun(c.req.valid("query"));
    const report = await changeTopics(db, { tags: { [name]: c.req.valid("json") } }, { dryRun: dry });
    if (!dry) changed(report.changedTags, report.anyChange);
    return c.json(topicView(report, dry), !dry && report.tags.some((t) => t.created) ? 201 : 200);
  });

  api.delete("/tags/:tag", async (c) => {
    const name = tagParam(c);
    if (!name) return problem(400, "a tag needs a letter or digit");
    const done = await removeTag(db, name);
    changed(done.changedTags);
    return c.json({ removed: done.slug, items: done.items, changed_tags: done.changedTags });
  });

  api.post("/tags/:tag/rename", jsonBody, checked("json", z.strictObject({ to: tagLabel })), async (c) => {
    const name = tagParam(c);
    if (!name) return problem(400, "a tag needs a letter or digit");
    const done = await renameTag(db, name, c.req.valid("json").to);
    changed(done.changedTags);
    return c.json({ from: done.from, to: done.to, items: done.items, changed_tags: done.changedTags });
  });

  api.post("/tags/:tag/merge", jsonBody, checked("json", z.strictObject({ into: tagLabel })), async (c) => {
    const name = tagParam(c);
    if (!name) return problem(400, "a tag needs a letter or digit");
    const done = await mergeTags(db, name, c.req.valid("json").into);
    changed(done.changedTags);
    return c.json({ from: done.from, into: done.into, items: done.items, kept: done.kept, changed_tags: done.changedTags });
  });

  api.get("/rules", async (c) => c.json({ drop: await readDropRules(db) }));

  api.put("/rules", jsonBody, checked("json", globalRules), checked("query", dryRun), async (c) => {
    const dry = isDryRun(c.req.valid("query"));
    const report = await changeTopics(db, { drop: c.req.valid("json").drop }, { dryRun: dry });
    if (!dry) changed(report.changedTags, report.anyChange);
    return c.json(topicView(report, dry));
  });
}
