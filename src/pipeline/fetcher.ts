import type { FetchOutcome } from "../input/fetch/http-fetch";

/** What the pass needs of a fetcher; the Node shell gives it undici with the address policy. */
export interface Fetcher {
  /** `cancel`, when it fires, abandons the fetch: it rejects soon after. */
  fetch(url: string, validators: { etag?: string | null; lastModified?: string | null }, cancel?: AbortSignal): Promise<FetchOutcome>;
}
