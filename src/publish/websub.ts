/**
 * WebSub publishing: after an ingestion changes feeds, tell the hub which
 * ones, so subscribers get the news pushed instead of polling. The hub then
 * fetches the feeds itself, so their URLs must be the public ones.
 */
import { feedUrl, type FeedFormat } from "./feed-model";

const FORMATS: FeedFormat[] = ["rss", "atom", "json"];

/** The feed URLs a change touched: each changed tag's three formats, and "all" when any item changed. */
export function changedFeedUrls(publicUrl: string, changedTags: Iterable<string>, anyItemChanged: boolean): string[] {
  const base = publicUrl.replace(/\/+$/, "");
  const keys = [...new Set(changedTags)].sort();
  if (anyItemChanged) keys.push("all");
  return keys.flatMap((key) => FORMATS.map((format) => feedUrl(base, key, format)));
}

export interface PingResult {
  url: string;
  ok: boolean;
  detail: string;
}

/** One publish notification per feed URL (hub.mode=publish, hub.url=…), a few at a time, each bounded in time. */
export async function pingHub(
  hubUrl: string,
  urls: string[],
  options: { fetch?: typeof fetch; timeoutMs?: number; concurrency?: number } = {},
): Promise<PingResult[]> {
  const doFetch = options.fetch ?? fetch;
  const results: PingResult[] = [];
  const queue = [...urls];
  const worker = async () => {
    for (let url = queue.shift(); url !== undefined; url = queue.shift()) {
      try {
        const res = await doFetch(hubUrl, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ "hub.mode": "publish", "hub.url": url }).toString(),
          // a hub that redirects is a failed ping ("error" is not offered by Workers)
          redirect: "manual",
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
        await res.body?.cancel();
        results.push({ url, ok: res.ok, detail: `HTTP ${res.status}` });
      } catch (error) {
        results.push({ url, ok: false, detail: (error as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, urls.length) }, worker));
  return results;
}

/** Tells the hub which feeds an ingestion changed. A failed ping is returned, never thrown: the ingestion stands. */
export async function announceChanges(
  hubUrl: string,
  publicUrl: string,
  changedTags: Iterable<string>,
  anyItemChanged: boolean,
  options: { fetch?: typeof fetch } = {},
): Promise<{ urls: string[]; failed: PingResult[] }> {
  const urls = changedFeedUrls(publicUrl, changedTags, anyItemChanged);
  if (!urls.length) return { urls, failed: [] };
  const results = await pingHub(hubUrl, urls, options);
  return { urls, failed: results.filter((r) => !r.ok) };
}
