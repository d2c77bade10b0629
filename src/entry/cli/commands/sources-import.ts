/** sources import: every feed of an OPML file followed; a feed followed already gains the file's folders as tags. */
import { followableUrl } from "../../../input/feed/followable-url";
import { readOpml } from "../../../input/opml";
import { tagsFromLabels } from "../../../normalise/tag-union";
import type { Database } from "../../../storage/database";
import { addFeedSource, findFeedSource, setSourceTags, type FeedSource } from "../../../storage/sources";
import { withDatabase } from "../database";
import { followRefusals } from "../follow-checks";
import { notifyHub } from "../hub-notice";
import { readNamedFile } from "../named-files";
import { followRefusal } from "./follow-refusal";

/** Follows the feeds of the OPML file `file`, a line for each; sets the exit status where some could not be followed. */
export async function importOpmlFile(file: string, options: { replaceTags?: boolean }): Promise<void> {
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
        await giveFolders(opened.db, followed, url, feed.tags, Boolean(options.replaceTags), changed);
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
}

/** A feed followed already, at `url`, gains the file's folders as tags; the tags whose feeds changed go into `changed`. */
async function giveFolders(db: Database, followed: FeedSource, url: string, folders: string[], replace: boolean, changed: Set<string>): Promise<void> {
  // an OPML folder is the feed's tag. Another reader's file adds its folders to the tags a feed has,
  // which another file or the command line may have given; --replace-tags makes them the file's
  const { tags, added, kept, gone } = importedTags(followed.tags, folders, replace);
  if (added.length || gone.length) {
    for (const slug of await setSourceTags(db, followed.id, tags)) changed.add(slug);
    const said = [
      added.length ? `added ${added.join(", ")}` : "",
      kept.length ? `kept ${kept.join(", ")}` : "",
      gone.length ? `replaced ${gone.join(", ")}` : "",
    ].filter(Boolean);
    console.log(`tags for ${url}: ${said.join("; ")}`);
  } else {
    console.log(`already followed: ${url}${tags.length ? ` (tags: ${tags.join(", ")})` : ""}`);
  }
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
