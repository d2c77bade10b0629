/**
 * Rendered feeds, kept until the versions they were rendered from change
 * (and the last of each until its successor is rendered). Compressed bodies are made once per entry, on first demand. Bounded by
 * bytes; the least recently used entries go first.
 */
export type Encoding = "br" | "gzip";

export interface Compressors {
  gzip?: (body: Uint8Array) => Uint8Array | Promise<Uint8Array>;
  br?: (body: Uint8Array) => Uint8Array | Promise<Uint8Array>;
}

export interface CachedFeed {
  versionKey: string;
  body: Uint8Array;
  /** Strong validator of the identity body: a hash of its bytes. */
  etag: string;
  lastModified: Date;
  /** lastModified as an HTTP date, formatted once. */
  lastModifiedHttp: string;
  contentType: string;
  encoded: Partial<Record<Encoding, Promise<Uint8Array>>>;
  /** The answer to each variant of a request (validators, encoding, media type), built once, by variant number. */
  answers: Map<number, CachedAnswer>;
  size: number;
  /** The cache's count of uses when this entry was last used: the lowest goes first. */
  usedAt: number;
}

/** A response ready to be sent as often as asked: its body and an init with plain-object headers. */
export interface CachedAnswer {
  body: Uint8Array<ArrayBuffer> | null;
  init: { status: 200 | 304; headers: Record<string, string> };
  /** The same headers as one flat list of names and values: what Node's writeHead takes without walking an object. */
  headerList: string[];
}

export class FeedCache {
  private readonly entries = new Map<string, CachedFeed>();
  private bytes = 0;
  // a count, not a reordering of the map: moving a key to the end of a Map costs a microsecond per hit
  private uses = 0;

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  get(key: string, versionKey: string): CachedFeed | undefined {
    const entry = this.entries.get(key);
    // an outdated entry stays until its successor is set: it is what last() serves while the database is unreachable
    if (!entry || entry.versionKey !== versionKey) return undefined;
    entry.usedAt = ++this.uses;
    return entry;
  }

  /** The last entry rendered for `key`, whatever its version: stale-if-error. */
  last(key: string): CachedFeed | undefined {
    return this.entries.get(key);
  }

  set(key: string, entry: CachedFeed): void {
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.size;
      this.entries.delete(key);
    }
    if (entry.size > this.maxBytes) return;
    entry.usedAt = ++this.uses;
    this.entries.set(key, entry);
    this.bytes += entry.size;
    while (this.bytes > this.maxBytes) this.evictLeastRecentlyUsed();
  }

  private evictLeastRecentlyUsed(): void {
    let oldest: [string, CachedFeed] | undefined;
    for (const kept of this.entries) if (!oldest || kept[1].usedAt < oldest[1].usedAt) oldest = kept;
    if (!oldest) return;
    this.entries.delete(oldest[0]);
    this.bytes -= oldest[1].size;
  }

  /** The body in `encoding`, compressed on first use and kept with the entry. */
  encodedBody(entry: CachedFeed, encoding: Encoding, compressors: Compressors): Promise<Uint8Array> | null {
    const compress = compressors[encoding];
    if (!compress) return null;
    let pending = entry.encoded[encoding];
    if (!pending) {
      pending = Promise.resolve(compress(entry.body));
      entry.encoded[encoding] = pending;
      void pending.then((bytes) => {
        entry.size += bytes.length;
        this.bytes += bytes.length;
      });
    }
    return pending;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }
}
