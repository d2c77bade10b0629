/** OPML 2.0 listing every tag's feed, for importing them all into a feed reader at once. */
import type { TagSummary } from "../storage/queries";
import { feedUrl } from "./feed-model";
import { emptyEl, PROLOG, textEl } from "../xml/writer";

export function renderOpml(base: string, tags: TagSummary[], dateModified: Date): string {
  const out = [
    PROLOG,
    '<opml version="2.0">\n<head>\n',
    textEl("title", "feedwerk: alle Themen"),
    "\n",
    textEl("dateModified", dateModified.toUTCString()),
    "\n",
    textEl("docs", "http://opml.org/spec2.opml"),
    "\n",
    "</head>\n<body>\n",
  ];
  for (const tag of tags) {
    out.push(
      emptyEl("outline", {
        type: "rss",
        text: tag.label,
        title: tag.label,
        xmlUrl: feedUrl(base, tag.slug, "rss"),
        htmlUrl: `${base}/feeds/${tag.slug}`,
      }),
      "\n",
    );
  }
  out.push("</body>\n</opml>\n");
  return out.join("");
}
