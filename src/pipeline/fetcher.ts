import type { FetchOutcome } from "../input/fetch/http-fetch";

/** What the pass needs of a fetcher; the Node shell gives it undici with the address policy. */
export interface Fetcher {
  /** `cancel`, when it fires, abandons the fetch: it rejects soon after. */
  fetch(url: string, validators: { etag?: string | null; lastModified?: string | null }, cancel?: AbortSignal): Promise<FetchOutcome>;
  /**
   * How many fetches of one origin run at once, the others waiting their turn: a pass gives its workers
   * no more feeds of one origin at a time, so that none of them waits on a slow host while other hosts'
   * feeds are due. Without it, workers take feeds in the order claimed.
   */
  readonly perOrigin?: number | undefined;
}
