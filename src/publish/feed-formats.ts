/** One channel, three formats. */
import { renderAtom } from "./atom";
import type { FeedChannel, FeedFormat } from "./feed-model";
import { renderJsonFeed } from "./json-feed";
import { renderRss } from "./rss";

export * from "./feed-model";

export function renderFeed(format: FeedFormat, channel: FeedChannel): string {
  switch (format) {
    case "rss":
      return renderRss(channel);
    case "atom":
      return renderAtom(channel);
    case "json":
      return renderJsonFeed(channel);
  }
}
