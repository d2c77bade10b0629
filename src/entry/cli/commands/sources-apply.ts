/** sources apply: the followed feeds and the topics made what a config file says. */
import * as z from "zod";
import { sourceEntry, type SourceEntry } from "../../../input/feed/source-entry";
import { parseJsonText } from "../../../input/json-text";
import { issueLines } from "../../../input/schema-issues";
import type { Rule } from "../../../normalise/topic/rules";
import { globalRules, topicSettings } from "../../../input/topic-settings";
import type { Database } from "../../../storage/database";
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
} from "../../../storage/sources";
import { changeTopics, topicFaults, type TopicSetting } from "../../../storage/topic-changes";
import { withDatabase } from "../database";
import { followRefusals } from "../follow-checks";
import { notifyHub } from "../hub-notice";
import { readNamedFile } from "../named-files";
import { ConfigError } from "../../config";
import { followRefusal } from "./follow-refusal";
import { printTopicReport } from "./tags";

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
  sources: WantedSource[] | null;
  tags: Record<string, TopicSetting> | undefined;
  drop: Rule[] | undefined;
}

type WantedSource = SourceEntry & { tags: string[] };

/** What applying the file did to the followed feeds, counted, and the tags whose feeds it changed. */
interface Applied {
  counts: { added: number; updated: number; unchanged: number; removed: number };
  changed: Set<string>;
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

/** Makes the followed feeds and the topics what `file` says, or with `dryRun` says what that would change. */
export async function applySourcesFile(file: string, options: { prune?: boolean; dryRun?: boolean }): Promise<void> {
  const config = readSourcesConfig(file, await readNamedFile(file));
  if (options.prune && config.sources === null)
    throw new ConfigError([`${file}: --prune needs "sources": the file lists none, and would stop following every feed`]);
  const wanted = config.sources ?? [];
  const dryRun = Boolean(options.dryRun);
  await withDatabase(async (opened) => {
    await refuseFaults(opened.db, file, wanted, config.tags);
    const counts = { added: 0, updated: 0, unchanged: 0, removed: 0 };
    const changed = new Set<string>();
    const applied: Applied = { counts, changed };
    let topicsChanged = false;
    if (config.tags || config.drop) {
      // before the feeds: a tag the file sets up here and gives a feed is set up as the file says, not first
      // made a feed's explicit tag; the feeds' stories then join it by its rules
      const report = await changeTopics(opened.db, { tags: config.tags, drop: config.drop }, { dryRun });
      printTopicReport(report, dryRun);
      for (const slug of report.changedTags) changed.add(slug);
      topicsChanged = report.anyChange;
    }
    for (const entry of wanted) await applyEntry(opened.db, file, entry, dryRun, applied);
    if (options.prune) await pruneUnlisted(opened.db, wanted, dryRun, applied);
    const anyItem = changed.size > 0 || topicsChanged;
    const sourcesSaid =
      config.sources === null
        ? "no sources listed"
        : `${counts.added} added, ${counts.updated} updated, ${counts.unchanged} unchanged, ${counts.removed} removed`;
    console.log(`${file}: ${dryRun ? "dry run, nothing changed: " : ""}${sourcesSaid}`);
    if (!dryRun) await notifyHub(changed, anyItem);
  });
}

/** The file's new addresses and its topics, checked against the database before anything changes: a ConfigError naming every fault. */
async function refuseFaults(db: Database, file: string, wanted: WantedSource[], tags: SourcesConfig["tags"]): Promise<void> {
  // checked whole like the rest of the file: a refused address changes nothing; feeds followed
  // already are not checked again (they were when followed, and fetching checks every connection)
  const followedAlready = await Promise.all(wanted.map((entry) => findFeedSource(db, entry.url)));
  const toCheck = wanted.map((entry, i) => ({ entry, i })).filter(({ i }) => !followedAlready[i]);
  const answers = await followRefusals(
    toCheck.map(({ entry }) => entry.url),
    followRefusal,
  );
  const refusals = toCheck.flatMap(({ entry, i }, n) => (answers[n] ? [`${file}: sources[${i}].url: ${entry.url}: ${answers[n]}`] : []));
  // what the topics would do to the tags as they are (include rules on a tag that matches by words, two keys naming one tag)
  const topicProblems = tags ? (await topicFaults(db, tags)).map((fault) => `${file}: ${fault}`) : [];
  if (refusals.length || topicProblems.length) throw new ConfigError([...refusals, ...topicProblems]);
}

/** One listed feed followed, or given the file's tags and reading where they differ; said line by line. */
async function applyEntry(db: Database, file: string, entry: WantedSource, dryRun: boolean, { counts, changed }: Applied): Promise<void> {
  const existing = await findFeedSource(db, entry.url);
  const reading = readingOf(entry);
  if (!existing) {
    if (!dryRun) await addFeedSource(db, { ...entry, ...reading });
    counts.added++;
    console.log(dryRun ? `would follow ${entry.url}` : `following ${entry.url}`);
    return;
  }
  const newTags = JSON.stringify(existing.tags) !== JSON.stringify(entry.tags);
  const newReading = !readsAs(existing, reading);
  if (newTags) {
    if (!dryRun) for (const slug of await setSourceTags(db, existing.id, entry.tags)) changed.add(slug);
    console.log(`${dryRun ? "would give " : ""}new tags for ${entry.url}: ${entry.tags.join(", ") || "none"}`);
  }
  if (newReading) {
    if (!dryRun) await setSourceReading(db, existing.id, reading);
    console.log(`${dryRun ? "would read" : "reading"} ${entry.url} ${describeReading(reading)} from its next fetch`);
  }
  if (newTags || newReading) counts.updated++;
  else counts.unchanged++;
  if (existing && entry.name && existing.name !== entry.name) {
    console.error(`warning: ${file}: ${entry.url} keeps its name '${existing.name}' (names never change)`);
  }
}

/** --prune: the followed feeds the file does not list are followed no more. */
async function pruneUnlisted(db: Database, wanted: WantedSource[], dryRun: boolean, { counts, changed }: Applied): Promise<void> {
  const listed = new Set(wanted.map((w) => w.url));
  for (const source of await listFeedSources(db)) {
    if (listed.has(source.url!)) continue;
    if (!dryRun) for (const slug of (await removeFeedSource(db, source.url!))?.changedTags ?? []) changed.add(slug);
    counts.removed++;
    console.log(dryRun ? `would stop following ${source.url}` : `no longer following ${source.url}`);
  }
}

function describeReading(r: SourceReading): string {
  const as = r.readAs === "page" ? (r.select ? "as a page of teasers, by its selectors" : "as a page of teasers") : "by what it serves (a feed, a page)";
  return `${as}, ${r.fullText ? "with" : "without"} full text`;
}
