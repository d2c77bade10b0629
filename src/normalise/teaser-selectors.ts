/**
 * Where a person says a site's teasers are on its page, as CSS selectors:
 * `item` finds each teaser, the others are read inside it. Kept with a
 * followed source (storage) and read by the teaser reader (input/html/teasers).
 */
export interface TeaserSelectors {
  item: string;
  title?: string | undefined;
  link?: string | undefined;
  summary?: string | undefined;
  time?: string | undefined;
  image?: string | undefined;
}
