/**
 * An RSS or Atom document read: the feed's own fields here, its entries by
 * rss.ts or atom.ts, with what rss-parser loses of them recovered
 * (recovered-fields.ts).
 */
import { atomEntry } from "./atom";
import type { RawFeed } from "./raw-feed";
import { recoveredFields } from "./recovered-fields";
import { rssEntry } from "./rss";
import { parseXmlDocument } from "./xml-document";
import { str } from "./xml-entry";

export async function readXmlFeed(document: string): Promise<RawFeed> {
  const { feed, xml, bozo } = await parseXmlDocument(document);
  // comments spelled so that a run of them can be read one way only: a lazy [\s\S]*? inside the repeat would
  // try every split of forty comments before failing (minutes of a reading thread for one document)
  const atom = /^\s*(?:<\?xml[^>]*>\s*)?(?:<!--(?:[^-]|-(?!->))*-->\s*)*<feed\b/.test(xml);
  const base = /<(?:feed|rss|rdf:RDF|channel)\b[^>]*\sxml:base\s*=\s*["']([^"']+)["']/.exec(xml.slice(0, 4096))?.[1];
  const withBases = xml.includes("xml:base");
  return {
    format: atom ? "atom" : "rss",
    title: str(feed.title),
    link: str(feed.link),
    base,
    ttlMinutes: ttlOf(feed),
    bozo,
    entries: feed.items.map((item) => (atom ? atomEntry : rssEntry)(item, recoveredFields(item, withBases))),
  };
}

const PERIOD_MINUTES: Record<string, number> = { hourly: 60, daily: 1440, weekly: 10080, monthly: 43200, yearly: 525600 };

function ttlOf(feed: Record<string, unknown>): number | undefined {
  const ttl = Number(str(feed.ttl));
  if (Number.isFinite(ttl) && ttl > 0) return ttl;
  const period = PERIOD_MINUTES[str(feed["sy:updatePeriod"])?.toLowerCase() ?? ""];
  if (!period) return undefined;
  const frequency = Number(str(feed["sy:updateFrequency"]) ?? 1);
  return Math.round(period / (frequency > 0 ? frequency : 1));
}
