/**
 * The rendered-feed cache: bounded by bytes, the least recently used entry
 * out first, an outdated version kept until its successor comes.
 */
import { describe, expect, it } from "vitest";
import { FeedCache, type CachedFeed } from "../src/publish/feed-cache";

function entry(versionKey: string, size: number): CachedFeed {
  const body = new Uint8Array(size).fill(120);
  const lastModified = new Date("2025-12-09T13:00:00Z");
  return {
    versionKey,
    body,
    etag: versionKey,
    lastModified,
    lastModifiedHttp: lastModified.toUTCString(),
    contentType: "application/rss+xml; charset=utf-8",
    encoded: {},
    answers: new Map(),
    size,
    usedAt: 0,
  };
}

describe("the rendered-feed cache", () => {
  it("evicts the least recently used entries once over its byte budget, whatever order they came in", () => {
    const cache = new FeedCache(1_000);
    for (const key of ["a", "b", "c", "d"]) cache.set(key, entry(`${key}:1`, 250));
    expect(cache.size).toEqual({ entries: 4, bytes: 1_000 });
    // a and c used since: b is now the least recently used, then d
    expect(cache.get("a", "a:1")).toBeDefined();
    expect(cache.get("c", "c:1")).toBeDefined();
    cache.set("e", entry("e:1", 250));
    expect(cache.get("b", "b:1")).toBeUndefined();
    expect(cache.size).toEqual({ entries: 4, bytes: 1_000 });
    cache.set("f", entry("f:1", 400));
    // d, then a (used before c) made room for 400 bytes
    expect(["a", "c", "d", "e", "f"].filter((key) => cache.get(key, `${key}:1`))).toEqual(["c", "e", "f"]);
    expect(cache.size).toEqual({ entries: 3, bytes: 900 });
  });

  it("answers only the version asked for, and keeps an outdated one for stale-if-error until its successor is set", () => {
    const cache = new FeedCache(1_000);
    const first = entry("ukraine:1", 100);
    cache.set("rss|ukraine", first);
    expect(cache.get("rss|ukraine", "ukraine:2")).toBeUndefined();
    expect(cache.last("rss|ukraine")).toBe(first);
    const second = entry("ukraine:2", 300);
    cache.set("rss|ukraine", second);
    expect(cache.get("rss|ukraine", "ukraine:2")).toBe(second);
    expect(cache.size).toEqual({ entries: 1, bytes: 300 });
  });

  it("keeps no entry larger than the whole budget", () => {
    const cache = new FeedCache(1_000);
    cache.set("big", entry("big:1", 1_001));
    expect(cache.last("big")).toBeUndefined();
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });
  });
});
