/** tags list, match, rename, merge and remove: the topics feedwerk publishes, as a person manages them. */
import type { Command } from "commander";
import { TAG_MATCHES, type TagMatch } from "../../../normalise/topic/membership";
import { describeRule } from "../../../normalise/topic/rules";
import { changeTopics, findTag, mergeTags, removeTag, renameTag, type TopicReport } from "../../../storage/topic-changes";
import { tagOverview } from "../../../storage/topics";
import { withDatabase } from "../database";
import { notifyHub } from "../hub-notice";
import { printTable } from "../table";

/** How many stories a report lists by title per tag; the rest are counted. */
const LISTED = 20;

/** What a topic change did (or, in a dry run, would do) to the stored stories, a line per story below each count. */
export function printTopicReport(report: TopicReport, dryRun: boolean): void {
  const verb = (done: string, would: string) => (dryRun ? would : done);
  const list = (sign: string, refs: { title: string }[]) => {
    for (const ref of refs.slice(0, LISTED)) console.log(`  ${sign} ${ref.title}`);
    if (refs.length > LISTED) console.log(`  … and ${refs.length - LISTED} more`);
  };
  for (const tag of report.tags) {
    const created = tag.created ? `${verb("created", "would be created")}; ` : "";
    const renamed = tag.renamedFrom ? ` (named ${tag.renamedFrom}, its old name)` : "";
    console.log(
      `tag ${tag.slug}${renamed}: ${created}${tag.added.length} ${stories(tag.added.length)} ${verb("added", "would be added")}, ${tag.removed.length} ${verb("removed", "would be removed")}`,
    );
    list("+", tag.added);
    list("-", tag.removed);
  }
  if (report.drop) {
    const { before, after } = report.drop;
    console.log(
      `rules: ${verb("the drop rules are", "the drop rules would be")} ${after.length} in place of ${before.length}; ${report.dropped.length} ${stories(report.dropped.length)} ${verb("dropped", "would be dropped")}, ${report.restored.length} ${verb("shown again", "would be shown again")}`,
    );
    list("-", report.dropped);
    list("+", report.restored);
  }
}

const stories = (n: number) => (n === 1 ? "story" : "stories");

export function addTagCommands(program: Command): void {
  const tagsCommand = program.command("tags").description("the topics feedwerk publishes: list, match, rename, merge, remove");

  tagsCommand.command("list").description("every tag with its stories, how it gains them, where it comes from and the sources that name it").action(printTags);

  tagsCommand
    .command("match")
    .description("how a tag gains stories: words (its label's), explicit (only where a source names it) or rules (the sources file's)")
    .argument("<tag>", "the tag's slug or label")
    .argument("<match>", TAG_MATCHES.join(" | "))
    .option("--dry-run", "list the stories that would join or leave the tag, and change nothing")
    .action(setTagMatch);

  tagsCommand
    .command("rename")
    .description("give a tag a new label; its old feed addresses redirect (301) to the new ones")
    .argument("<old>", "the tag's slug or label")
    .argument("<new>", "the new label")
    .action(async (from: string, to: string) => {
      await withDatabase(async (opened) => {
        const done = await renameTag(opened.db, from, to);
        if (done.unchanged) return console.log(`${done.from} is called ${to} already: nothing to rename`);
        console.log(
          done.from === done.to
            ? `${done.to} is labelled ${to} now, not ${done.fromLabel} (${done.items} ${stories(done.items)})`
            : `renamed ${done.from} to ${done.to} (${done.items} ${stories(done.items)}); /feeds/${done.from}.xml redirects to /feeds/${done.to}.xml`,
        );
        await notifyHub(new Set(done.changedTags), done.items > 0);
      });
    });

  tagsCommand
    .command("merge")
    .description("merge tag A into tag B: A's stories and sources go to B, A's feed addresses redirect (301) to B's")
    .argument("<a>", "the tag that goes")
    .argument("<b>", "the tag that stays, with its own match and rules")
    .action(async (from: string, into: string) => {
      await withDatabase(async (opened) => {
        const done = await mergeTags(opened.db, from, into);
        console.log(
          `merged ${done.from} into ${done.into}: ${done.kept} of its ${done.items} ${stories(done.items)} ${done.kept === 1 ? "is" : "are"} in ${done.into}; /feeds/${done.from}.xml redirects to /feeds/${done.into}.xml`,
        );
        const own = done.droppedSettings;
        if (own.match !== "explicit" || own.include.length || own.exclude.length) {
          console.log(`${done.from}'s own match (${own.match}) and rules are gone: ${done.into} keeps its own`);
        }
        await notifyHub(new Set(done.changedTags), done.items > 0);
      });
    });

  tagsCommand
    .command("remove")
    .description("remove a tag and its feeds, which then answer 410 Gone; no source brings it back until a person names it again")
    .argument("<tag>", "the tag's slug or label")
    .action(async (tag: string) => {
      await withDatabase(async (opened) => {
        const done = await removeTag(opened.db, tag);
        console.log(
          `removed tag ${done.slug} (${done.items} ${stories(done.items)} ${done.items === 1 ? "stays" : "stay"}, without it); its feeds answer 410 Gone`,
        );
        await notifyHub(new Set(done.changedTags), done.items > 0);
      });
    });
}

/** tags list: a row per tag, and below the table its rules and other names, the global rules and the tags removed. */
async function printTags(): Promise<void> {
  await withDatabase(async (opened) => {
    const { tags, removed, drop } = await tagOverview(opened.db);
    if (!tags.length) console.log("no tags yet: 'ingest' pages or 'sources add' feeds");
    else {
      printTable(
        ["tag", "label", "stories", "match", "from", "sources"],
        tags.map((t) => [t.slug, t.label, String(t.items), t.match, t.origin, t.sources.join(", ")]),
      );
    }
    const ruled = tags.filter((t) => t.include.length || t.exclude.length || t.aliases.length);
    if (ruled.length) console.log("");
    for (const t of ruled) {
      for (const r of t.include) console.log(`${t.slug}: include ${describeRule(r)}`);
      for (const r of t.exclude) console.log(`${t.slug}: exclude ${describeRule(r)}`);
      if (t.aliases.length) console.log(`${t.slug}: also known as ${t.aliases.join(", ")}`);
    }
    if (drop.length) console.log(`\nglobal rules (stories in no feed):\n${drop.map((r) => `  drop ${describeRule(r)}`).join("\n")}`);
    if (removed.length) console.log(`\nremoved (their feeds answer 410 Gone): ${removed.join(", ")}`);
  });
}

/** tags match: how a tag gains stories, changed (or with --dry-run, what that would change, said). */
async function setTagMatch(tag: string, match: string, options: { dryRun?: boolean }): Promise<void> {
  if (!(TAG_MATCHES as readonly string[]).includes(match)) throw new Error(`${match}: not a match; one of ${TAG_MATCHES.join(", ")}`);
  await withDatabase(async (opened) => {
    const known = await findTag(opened.db, tag);
    if (match === "rules" && !known.include.length) {
      throw new Error(`${tag}: a tag matching by rules needs include rules: give them in the sources file ('sources apply') or the admin API`);
    }
    if (known.match === match) return console.log(`${known.slug} matches by ${match} already: nothing to change`);
    const report = await changeTopics(opened.db, { tags: { [known.slug]: { match: match as TagMatch } } }, { dryRun: options.dryRun });
    printTopicReport(report, Boolean(options.dryRun));
    if (match !== "rules" && known.include.length) {
      console.log(`${known.slug}'s include rules stay, unused while it matches by ${match} ('tags match ${known.slug} rules' uses them again)`);
    }
    if (!options.dryRun) await notifyHub(new Set(report.changedTags), report.anyChange);
  });
}
