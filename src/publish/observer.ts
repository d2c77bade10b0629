/**
 * What the publishing app tells a shell that watches it (the Node server's /metrics): plain callbacks, so
 * that the app, which the Worker runs too, needs no metrics library of its own. Each is optional.
 */
export interface PublishObserver {
  /** A request answered: `route` is the pattern it matched (/feeds/:file, /api/sources/:name), or "other"; never its path. */
  answered?(answer: { method: string; route: string; status: number; seconds: number }): void;
  /**
   * A feed served from the rendered-feed cache ("hit"), rendered for this request ("miss"), or its last rendered
   * copy while the database is unreachable ("stale"); `notModified` when the answer was a 304.
   */
  feedCache?(result: FeedCacheResult, notModified: boolean): void;
}

export type FeedCacheResult = "hit" | "miss" | "stale";
