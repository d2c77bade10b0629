/**
 * Real feed readers, Debian's packages, run on a feed URL: newsboat (a C++
 * reader that plays podcasts) and Python's feedparser. What each read comes
 * back as JSON. The suites that use them say themselves whether a missing
 * reader skips them or, under CI, fails the run.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

export const run = promisify(execFile);

export const NEWSBOAT = process.env.NEWSBOAT_PATH ?? "/usr/bin/newsboat";
/** Debian's Python, where python3-feedparser installs (not whatever python3 comes first on the PATH). */
export const PYTHON = process.env.DEBIAN_PYTHON ?? "/usr/bin/python3";

/** Whether Debian's Python imports `modules` ("lxml, html5lib"). */
export async function pythonHas(modules: string): Promise<boolean> {
  try {
    await run(PYTHON, ["-c", `import ${modules}`]);
    return true;
  } catch {
    return false;
  }
}

export const newsboatAvailable = existsSync(NEWSBOAT);
export const feedparserAvailable = await pythonHas("feedparser");

/** An item as newsboat's cache keeps it: one enclosure at most ("" where it kept none). */
export interface NewsboatItem {
  title: string;
  url: string;
  type: string;
}

/**
 * One `newsboat -x reload` of one feed into a home and cache of their own (newsboat folds items of one
 * guid across feeds), read back with Python's sqlite3: the feed's items, newest first.
 */
export async function newsboatRead(feedUrl: string): Promise<NewsboatItem[]> {
  const home = mkdtempSync(join(tmpdir(), "feedwerk-newsboat-"));
  try {
    const cache = join(home, "cache.db");
    const urls = join(home, "urls");
    writeFileSync(urls, `${feedUrl}\n`);
    const env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      XDG_CONFIG_HOME: join(home, ".config"),
      XDG_DATA_HOME: join(home, ".local/share"),
      LANG: "C.UTF-8",
    };
    await run(NEWSBOAT, ["-u", urls, "-c", cache, "-C", "/dev/null", "-x", "reload"], { env, timeout: 60_000 });
    const read = `import json, sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute("select title, enclosure_url, enclosure_type from rss_item where feedurl = ? order by pubDate desc", (sys.argv[2],))
print(json.dumps([{"title": t, "url": u, "type": ty} for t, u, ty in rows]))`;
    const { stdout } = await run(PYTHON, ["-c", read, cache, feedUrl], { timeout: 30_000 });
    return JSON.parse(stdout) as NewsboatItem[];
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** An entry as feedparser reads it: its title, and its files as feedparser names them. */
export interface FeedparserEntry {
  title: string;
  enclosures: Record<string, string>[];
  media_content: Record<string, string>[];
  media_thumbnail: Record<string, string>[];
  itunes_duration: string | null;
}

/** `feedparser.parse` of a feed URL: the format it found ("rss20", "atom10"), whether it stumbled (bozo), the entries in order. */
export async function feedparserRead(feedUrl: string): Promise<{ version: string; bozo: boolean; entries: FeedparserEntry[] }> {
  const read = `import json, sys, feedparser
d = feedparser.parse(sys.argv[1])
print(json.dumps({"version": d.version, "bozo": bool(d.bozo), "entries": [{
  "title": e.get("title"),
  "enclosures": [dict(x) for x in e.get("enclosures", [])],
  "media_content": [dict(x) for x in e.get("media_content", [])],
  "media_thumbnail": [dict(x) for x in e.get("media_thumbnail", [])],
  "itunes_duration": e.get("itunes_duration"),
} for e in d.entries]}))`;
  const { stdout } = await run(PYTHON, ["-c", read, feedUrl], { timeout: 60_000 });
  return JSON.parse(stdout) as { version: string; bozo: boolean; entries: FeedparserEntry[] };
}
