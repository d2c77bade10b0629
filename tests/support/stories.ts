/** A story as the tests store it: a teaser known by its headline, with whatever a test gives it besides. */
import { storyKey } from "../../src/normalise/identity";
import type { Item } from "../../src/normalise/item";

export function teaser(title: string, summary: string, more: Partial<Item> = {}): Item {
  const id = storyKey(title);
  return {
    id,
    guid: id,
    kind: "teaser",
    title,
    kicker: null,
    publishedAt: null,
    precision: "none",
    agency: null,
    dateline: null,
    tags: [],
    commentCount: null,
    image: null,
    media: null,
    summary,
    contentHtml: null,
    url: null,
    ...more,
  };
}
