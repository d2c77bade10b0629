/** sources add, list, remove, import, apply and export: the feeds feedwerk follows. */
import type { Command } from "commander";
import { followableUrl, shownUrl } from "../../../input/feed/followable-url";
import { tagLabel } from "../../../input/feed/source-entry";
import { writeOpml } from "../../../input/opml";
import { isoSeconds } from "../../../normalise/item";
import { addFeedSource, listFeedSources, readingOf, removeFeedSource } from "../../../storage/sources";
import { withDatabase } from "../database";
import { notifyHub } from "../hub-notice";
import { printTable } from "../table";
import { followRefusal } from "./follow-refusal";
import { applySourcesFile } from "./sources-apply";
import { importOpmlFile } from "./sources-import";

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
    .action(followFeed);

  sourcesCommand
    .command("list")
    .description("the followed feeds, with their last fetch, status, errors, next poll, and why a feed is broken")
    .action(printSources);

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
    .action(importOpmlFile);

  sourcesCommand
    .command("apply")
    .description(
      'make the followed feeds and the topics what a config file says (JSON: {"sources": [{"url", "name"?, "tags"?, "page"?, "fullText"?, "select"?}], "tags"?: {…}, "rules"?: {…}})',
    )
    .argument("<file>", "the config file")
    .option("--prune", "also stop following feeds the file does not list")
    .option("--dry-run", "say what would change, and the stories that would join or leave each tag; change nothing")
    .action(applySourcesFile);

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

/** sources add: the feed at `url` followed, once its address and its tags are checked. */
async function followFeed(url: string, options: { name?: string; tag?: string[]; page?: boolean; fullText?: boolean }): Promise<void> {
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
}

/** sources list: a row per followed feed, and below the table what its cells cut. */
async function printSources(): Promise<void> {
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
}
