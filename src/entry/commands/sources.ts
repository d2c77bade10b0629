/** sources add, list, remove, import, apply and export: the feeds feedwerk follows. */
import type { Command } from "commander";
import * as z from "zod";
import { followableUrl, shownUrl } from "../../input/feed/followable-url";
import { AddressPolicy } from "../../input/fetch/address-policy";
import { sourceEntry, tagLabel, type SourceEntry } from "../../input/feed/source-entry";
import { parseJsonText } from "../../input/json-text";
import { readOpml, writeOpml } from "../../input/opml";
import { issueLines } from "../../input/schema-issues";
import { isoSeconds } from "../../normalise/item";
import { tagsFromLabels } from "../../normalise/tag-union";
import type { Rule } from "../../normalise/topic/rules";
import { globalRules, topicSettings } from "../../input/topic-settings";
import {
  addFeedSource,
  findFeedSource,
  listFeedSources,
  readingOf,
  readsAs,
  removeFeedSource,
  setSourceReading,
  setSourceTags,
  type SourceReading,
} from "../../storage/sources";
import { changeTopics, topicFaults, type TopicSetting } from "../../storage/topic-changes";
import { withDatabase } from "../cli/database";
import { followRefusals } from "../cli/follow-checks";
import { notifyHub } from "../cli/hub-notice";
import { readNamedFile } from "../cli/named-files";
import { printTable } from "../cli/table";
import { ConfigError, readConfig } from "../config";
import { printTopicReport } from "./tags";

/** Why the feed at `url` may not be followed from here (a private or local address), or null; see AddressPolicy.followRefusal. */
const followRefusal = (url: string) => new AddressPolicy(readConfig().allowedHosts).followRefusal(url);

const sourcesFile = z.strictObject({
  sources: z.array(sourceEntry).optional(),
  /** Topics: how each tag gains stories, by label or slug. */
  tags: topicSettings.optional(),
  /** Global rules: the stories no feed shows. */
  rules: globalRules.optional(),
});

/** A sources file as checked: the feeds to follow, and the topics to set (absent: left as they are). */
interface SourcesConfig {
  /** Null where the file lists no sources: the followed feeds stay as they are. */
  sources: (SourceEntry & { tags: string[] })[] | null;
  tags: Record<string, TopicSetting> | undefined;
  drop: Rule[] | undefined;
}

/**
 * A feed listed twice would be followed once, the later entry silently winning: the file is refused instead.
 * Checked over the entries as written, beside the schema (whose refinements wait until every entry is sound),
 * so that one run names every fault of the file.
 */
function duplicateLines(raw: unknown): string[] {
  const entries = (raw as { sources?: unknown } | null)?.sources;
  if (!Array.isArray(entries)) return [];
  const first = { url: new Map<string, number>(), name: new Map<string, number>() };
  const lines: string[] = [];
  entries.forEach((written, i) => {
    // as the entry is followed where it is sound (a host in capitals is the same URL), else as written
    const parsed = sourceEntry.safeParse(written);
    const entry = (parsed.success ? parsed.data : written) as Record<string, unknown> | null;
    for (const key of ["url", "name"] as const) {
      const value = entry?.[key];
      if (typeof value !== "string") continue;
      const earlier = first[key].get(value);
      if (earlier === undefined) first[key].set(value, i);
      else lines.push(`sources[${i}].${key}: the same ${key} as sources[${earlier}]`);
    }
  });
  return lines;
}

/** The sources config file, checked as a whole: every fault on a line of its own, naming the file and the entry. */
function readSourcesConfig(file: string, text: string): SourcesConfig {
  const raw = parseJsonText(file, text);
  const result = sourcesFile.safeParse(raw);
  const faults = [...(result.success ? [] : issueLines(result.error)), ...duplicateLines(raw)];
  if (faults.length || !result.success) throw new ConfigError(faults.map((line) => `${file}: ${line}`));
  return {
    sources: result.data.sources?.map((entry) => ({ ...entry, tags: entry.tags ?? [] })) ?? null,
    tags: result.data.tags,
    drop: result.data.rules?.drop,
  };
}

export function addSourceCommands(program: Command): void {
  const sourcesCommand = program.command("sources").description("the feeds feedwerk follows");

  sourcesCommand
    .command("add")
    .description("follow a feed (RSS, Atom or JSON Feed), or a site's page of teasers (a section page, a news sitemap)")
    .argument("<url>", "the feed's or page's http(s) address")
    .option("--name <name>", "a name of your own (default: the URL); it never changes")
    .option("--tag <label...>", "tags for every item of this feed")
    .option("--page", "read the address as a page of teasers even where it names a feed (one that names none is read so anyway)")
    .option("--full-text", "fetch each new story's article page and read its full text into it")
    .action(async (url: string, options: { name?: string; tag?: string[]; page?: boolean; fullText?: boolean }) => {
      let parsed: string;
      try {
        parsed = followableUrl(url);
      } catch (error) {
        throw new Error(`${shownUrl(url)}: ${(error as Error).message}`);
      }
      const refused = await followRefusal(parsed);
      if (refused) throw new Error(`${parsed}: ${refused}`);
      const tags: string[] = [];
      for (const label of options.tag ?? []) {
        const checked = tagLabel.safeParse(label);
        if (!checked.success) throw new Error(`--tag: ${checked.error.issues[0]!.message}`);
        tags.push(checked.data);
      }
      await withDatabase(async (opened) => {
        const source = await addFeedSource(opened.db, { url: parsed, name: options.name, tags, ...readingOf(options) });
        const how = [source.readAs === "page" ? "as a page of teasers" : "", source.fullText ? "with full text" : ""].filter(Boolean).join(", ");
        console.log(`following ${source.url} as '${source.name}'${how ? ` (${how})` : ""}; 'fetch' reads it`);
      });
    });

  sourcesCommand
    .command("list")
    .description("the followed feeds, with their last fetch, status, errors, next poll, and why a feed is broken")
    .action(async () => {
      await withDatabase(async (opened) => {
        const rows = await listFeedSources(opened.db);
        if (!rows.length) return console.log("no feeds followed yet: 'sources add URL'");
        const when = (d: Date | null) => (d ? isoSeconds(d) : "-");
        printTable(
          ["name", "url", "read as", "last fetch", "status", "errors", "next poll", "article failures", "broken feed"],
          rows.map((r) => [
            r.name,
            r.url ?? "",
            [r.readAs === "page" ? (r.select ? "page (selectors)" : "page") : (r.lastReadAs ?? "-"), r.fullText ? "full text" : ""].filter(Boolean).join(", "),
            when(r.lastFetchAt),
            r.lastStatus ?? "never fetched",
            String(r.errorCount),
            when(r.nextPollAt),
            r.fullText ? String(r.extractFailures) : "-",
            r.parseWarning ?? "",
          ]),
        );
        // the table cuts long cells: the last error of each failing feed in full, below it
        const failing = rows.filter((r) => r.lastError);
        if (failing.length) console.log(`\nlast errors:\n${failing.map((r) => `  ${r.name}: ${r.lastError}`).join("\n")}`);
        const unread = rows.filter((r) => r.lastExtractError);
        if (unread.length) console.log(`\nlast article pages not read:\n${unread.map((r) => `  ${r.name}: ${r.lastExtractError}`).join("\n")}`);
      });
    });

  sourcesCommand
    .command("remove")
    .description("stop following a feed (its items stay)")
    .argument("<url-or-name>")
    .action(async (key: string) => {
      await withDatabase(async (opened) => {
        const removed = await removeFeedSource(opened.db, key);
        if (!removed) throw new Error(`${key}: no followed feed has this name or address`);
        console.log(`no longer following ${removed.url}`);
        await notifyHub(new Set(removed.changedTags), removed.changedTags.length > 0);
      });
    });

  sourcesCommand
    .command("import")
    .description("follow every feed of an OPML file (feed readers export one); a feed followed already gains its folders as tags")
    .argument("<file>", "an .opml file")
    .option("--replace-tags", "give feeds followed already the file's folders as their tags, in place of those they have")
    .action(async (file: string, options: { replaceTags?: boolean }) => {
      let feeds: ReturnType<typeof readOpml>;
      const text = await readNamedFile(file);
      try {
        feeds = onePerAddress(readOpml(text));
      } catch (error) {
        throw new Error(`${file}: ${(error as Error).message}`);
      }
      await withDatabase(async (opened) => {
        let added = 0;
        let skipped = 0;
        const changed = new Set<string>();
        const urls = feeds.map((feed) => {
          try {
            return followableUrl(feed.url);
          } catch (error) {
            return error as Error;
          }
        });
        // only feeds not followed yet are checked, all of them before the first is followed
        const followedAlready = await Promise.all(urls.map((url) => (typeof url === "string" ? findFeedSource(opened.db, url) : null)));
        const toCheck = urls.filter((url, i): url is string => typeof url === "string" && !followedAlready[i]);
        const refusals = new Map((await followRefusals(toCheck, followRefusal)).map((why, i) => [toCheck[i]!, why]));
        for (const [i, feed] of feeds.entries()) {
          const url = urls[i]!;
          if (typeof url !== "string") {
            console.error(`error: ${file}: skipped '${feed.url}': ${url.message}`);
            skipped++;
            continue;
          }
          const refused = refusals.get(url);
          if (refused) {
            console.error(`error: ${file}: skipped '${url}': ${refused}`);
            skipped++;
            continue;
          }
          const followed = await findFeedSource(opened.db, url);
          if (followed) {
            // an OPML folder is the feed's tag. Another reader's file adds its folders to the tags a feed has,
            // which another file or the command line may have given; --replace-tags makes them the file's
            const { tags, added, kept, gone } = importedTags(followed.tags, feed.tags, Boolean(options.replaceTags));
            if (added.length || gone.length) {
              for (const slug of await setSourceTags(opened.db, followed.id, tags)) changed.add(slug);
              const said = [
                added.length ? `added ${added.join(", ")}` : "",
                kept.length ? `kept ${kept.join(", ")}` : "",
                gone.length ? `replaced ${gone.join(", ")}` : "",
              ].filter(Boolean);
              console.log(`tags for ${url}: ${said.join("; ")}`);
            } else {
              console.log(`already followed: ${url}${tags.length ? ` (tags: ${tags.join(", ")})` : ""}`);
            }
            continue;
          }
          const name = feed.title && !(await findFeedSource(opened.db, feed.title)) ? feed.title : url;
          await addFeedSource(opened.db, { url, name, tags: feed.tags });
          added++;
          console.log(`following ${url} as '${name}'${feed.tags.length ? ` (tags: ${feed.tags.join(", ")})` : ""}`);
        }
        console.log(`imported ${added} of ${feeds.length} ${feeds.length === 1 ? "feed" : "feeds"} from ${file}`);
        await notifyHub(changed, changed.size > 0);
        // the others went in; the exit status still says that some could not
        if (skipped) process.exitCode = 1;
      });
    });

  sourcesCommand
    .command("apply")
    .description(
      'make the followed feeds and the topics what a config file says (JSON: {"sources": [{"url", "name"?, "tags"?, "page"?, "fullText"?, "select"?}], "tags"?: {…}, "rules"?: {…}})',
    )
    .argument("<file>", "the config file")
    .option("--prune", "also stop following feeds the file does not list")
    .option("--dry-run", "say what would change, and the stories that would join or leave each tag; change nothing")
    .action(async (file: string, options: { prune?: boolean; dryRun?: boolean }) => {
      const config = readSourcesConfig(file, await readNamedFile(file));
      if (options.prune && config.sources === null)
        throw new ConfigError([`${file}: --prune needs "sources": the file lists none, and would stop following every feed`]);
      const wanted = config.sources ?? [];
      const dryRun = Boolean(options.dryRun);
      await withDatabase(async (opened) => {
        // checked whole like the rest of the file: a refused address changes nothing; feeds followed
        // already are not checked again (they were when followed, and fetching checks every connection)
        const followedAlready = await Promise.all(wanted.map((entry) => findFeedSource(opened.db, entry.url)));
        const toCheck = wanted.map((entry, i) => ({ entry, i })).filter(({ i }) => !followedAlready[i]);
        const answers = await followRefusals(
          toCheck.map(({ entry }) => entry.url),
          followRefusal,
        );
        const refusals = toCheck.flatMap(({ entry, i }, n) => (answers[n] ? [`${file}: sources[${i}].url: ${entry.url}: ${answers[n]}`] : []));
        // what the topics would do to the tags as they are (include rules on a tag that matches by words, two keys naming one tag)
        const topicProblems = config.tags ? (await topicFaults(opened.db, config.tags)).map((fault) => `${file}: ${fault}`) : [];
        if (refusals.length || topicProblems.length) throw new ConfigError([...refusals, ...topicProblems]);
        const counts = { added: 0, updated: 0, unchanged: 0, removed: 0 };
        const changed = new Set<string>();
        let topicsChanged = false;
        if (config.tags || config.drop) {
          // before the feeds: a tag the file sets up here and gives a feed is set up as the file says, not first
          // made a feed's explicit tag; the feeds' stories then join it by its rules
          const report = await changeTopics(opened.db, { tags: config.tags, drop: config.drop }, { dryRun });
          printTopicReport(report, dryRun);
          for (const slug of report.changedTags) changed.add(slug);
          topicsChanged = report.anyChange;
        }
        for (const entry of wanted) {
          const existing = await findFeedSource(opened.db, entry.url);
          const reading = readingOf(entry);
          if (!existing) {
            if (!dryRun) await addFeedSource(opened.db, { ...entry, ...reading });
            counts.added++;
            console.log(dryRun ? `would follow ${entry.url}` : `following ${entry.url}`);
            continue;
          }
          const newTags = JSON.stringify(existing.tags) !== JSON.stringify(entry.tags);
          const newReading = !readsAs(existing, reading);
          if (newTags) {
            if (!dryRun) for (const slug of await setSourceTags(opened.db, existing.id, entry.tags)) changed.add(slug);
            console.log(`${dryRun ? "would give " : ""}new tags for ${entry.url}: ${entry.tags.join(", ") || "none"}`);
          }
          if (newReading) {
            if (!dryRun) await setSourceReading(opened.db, existing.id, reading);
            console.log(`${dryRun ? "would read" : "reading"} ${entry.url} ${describeReading(reading)} from its next fetch`);
          }
          if (newTags || newReading) counts.updated++;
          else counts.unchanged++;
          if (existing && entry.name && existing.name !== entry.name) {
            console.error(`warning: ${file}: ${entry.url} keeps its name '${existing.name}' (names never change)`);
          }
        }
        if (options.prune) {
          const listed = new Set(wanted.map((w) => w.url));
          for (const source of await listFeedSources(opened.db)) {
            if (listed.has(source.url!)) continue;
            if (!dryRun) for (const slug of (await removeFeedSource(opened.db, source.url!))?.changedTags ?? []) changed.add(slug);
            counts.removed++;
            console.log(dryRun ? `would stop following ${source.url}` : `no longer following ${source.url}`);
          }
        }
        const anyItem = changed.size > 0 || topicsChanged;
        const sourcesSaid =
          config.sources === null
            ? "no sources listed"
            : `${counts.added} added, ${counts.updated} updated, ${counts.unchanged} unchanged, ${counts.removed} removed`;
        console.log(`${file}: ${dryRun ? "dry run, nothing changed: " : ""}${sourcesSaid}`);
        if (!dryRun) await notifyHub(changed, anyItem);
      });
    });

  sourcesCommand
    .command("export")
    .description("the followed feeds as OPML, on standard output")
    .action(async () => {
      await withDatabase(async (opened) => {
        const rows = await listFeedSources(opened.db);
        process.stdout.write(
          writeOpml(
            "feedwerk: gefolgte Feeds",
            // a feed followed without a name of its own is named by its address: the feed's own title says more
            rows.map((r) => ({ name: r.name === r.url && r.title ? r.title : r.name, url: r.url!, tags: r.tags })),
          ),
        );
      });
    });
}

/**
 * The tags a followed feed gets from an OPML file's folders: its own and the file's together, or with
 * `replace` the file's alone. Compared by slug: "Welt" and "welt" are one tag.
 */
function importedTags(own: string[], fromFile: string[], replace: boolean): { tags: string[]; added: string[]; kept: string[]; gone: string[] } {
  const slugsOf = (labels: string[]) => new Set(tagsFromLabels(labels).map((t) => t.slug));
  const ownSlugs = slugsOf(own);
  const fileSlugs = slugsOf(fromFile);
  const added = tagsFromLabels(fromFile)
    .filter((t) => !ownSlugs.has(t.slug))
    .map((t) => t.label);
  const kept = own.filter((label) => (replace ? fileSlugs.has(tagsFromLabels([label])[0]?.slug ?? "") : true));
  const gone = replace ? own.filter((label) => !fileSlugs.has(tagsFromLabels([label])[0]?.slug ?? "")) : [];
  return { tags: [...kept, ...added], added, kept, gone };
}

function describeReading(r: SourceReading): string {
  const as = r.readAs === "page" ? (r.select ? "as a page of teasers, by its selectors" : "as a page of teasers") : "by what it serves (a feed, a page)";
  return `${as}, ${r.fullText ? "with" : "without"} full text`;
}

/** A feed a reader files in two folders is one feed with both folders as tags (its first title). */
function onePerAddress(feeds: ReturnType<typeof readOpml>): ReturnType<typeof readOpml> {
  const byUrl = new Map<string, ReturnType<typeof readOpml>[number]>();
  for (const feed of feeds) {
    const known = byUrl.get(feed.url);
    if (known) known.tags = [...new Set([...known.tags, ...feed.tags])];
    else byUrl.set(feed.url, { ...feed, tags: [...feed.tags] });
  }
  return [...byUrl.values()];
}
