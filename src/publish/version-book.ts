/**
 * Keeps a recent snapshot of every feed's version so that a request for a
 * cached feed costs no query at all. Ingestions in this process invalidate
 * it at once; those of other processes (a CLI on the same PostgreSQL) are
 * seen within `maxAgeMs`.
 *
 * A read that fails (the database is unreachable) or takes longer than
 * `readDeadlineMs` changes nothing: the last snapshot is kept, and so are
 * the rendered feeds. For `failureRetryMs` after a failure, requests get
 * that failure at once (and feeds their stale copy) instead of each
 * waiting on the dead database; then a read is tried again.
 */
import type { Database } from "../storage/database";
import { readVersions, type VersionSnapshot } from "../storage/versions";
import { withinDeadline } from "./database-outage";

export interface VersionBookOptions {
  /** How old a snapshot may be before a request reads a new one. */
  maxAgeMs?: number;
  /** An unknown tag re-reads the snapshot, but not more often than this. */
  unknownRetryMs?: number;
  /** How long a read may take before it counts as failed. */
  readDeadlineMs?: number;
  /** After a failed read, how long requests get that failure without a new read. */
  failureRetryMs?: number;
  now?: () => number;
}

export class VersionBook {
  private snapshot: VersionSnapshot | null = null;
  private readAt = -Infinity;
  private pending: Promise<VersionSnapshot> | null = null;
  /** Bumped by invalidate(): a read begun before it is not kept as fresh. */
  private generation = 0;
  private readonly maxAgeMs: number;
  private readonly unknownRetryMs: number;
  private readonly readDeadlineMs: number;
  private readonly failureRetryMs: number;
  private failure: { error: unknown; at: number } | null = null;
  private readonly now: () => number;

  constructor(
    private readonly db: Database,
    options: VersionBookOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 2_000;
    this.unknownRetryMs = options.unknownRetryMs ?? 250;
    this.readDeadlineMs = options.readDeadlineMs ?? 2_500;
    this.failureRetryMs = options.failureRetryMs ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  async current(): Promise<VersionSnapshot> {
    if (this.snapshot && this.now() - this.readAt < this.maxAgeMs) return this.snapshot;
    return this.refresh();
  }

  /**
   * The snapshot without waiting, if it is fresh and knows every one of
   * `slugs`; else null. Past three quarters of its age a new one is read
   * in the background: under steady traffic the snapshot is replaced before
   * it expires, and requests never stall on the read (nor take the full
   * route while it runs).
   */
  fresh(slugs: string[]): VersionSnapshot | null {
    const snapshot = this.snapshot;
    const age = this.now() - this.readAt;
    if (!snapshot || age >= this.maxAgeMs) return null;
    if (age >= this.maxAgeMs * 0.75 && !this.pending && !this.failure) void this.refresh().catch(() => {});
    for (const slug of slugs) if (!snapshot.tags.has(slug)) return null;
    return snapshot;
  }

  /** The latest snapshot read, however old (null before the first): what a request may look at without waiting. */
  last(): VersionSnapshot | null {
    return this.snapshot;
  }

  /** The snapshot, re-read first if it lacks one of `slugs` and has not just been read. */
  async covering(slugs: string[]): Promise<VersionSnapshot> {
    const snapshot = await this.current();
    if (slugs.every((s) => snapshot.tags.has(s)) || this.now() - this.readAt < this.unknownRetryMs) return snapshot;
    return this.refresh();
  }

  /** Call after an ingestion in this process. */
  invalidate(): void {
    this.generation++;
    this.readAt = -Infinity;
    this.failure = null;
    // a read begun before the change may not see it: the next request starts its own
    this.pending = null;
  }

  private refresh(): Promise<VersionSnapshot> {
    if (this.failure && this.now() - this.failure.at < this.failureRetryMs) return Promise.reject(this.failure.error);
    // one query in flight, however many requests wait for it
    if (this.pending) return this.pending;
    const generation = this.generation;
    const read = withinDeadline(readVersions(this.db), this.readDeadlineMs)
      .then((snapshot) => {
        // a read that an invalidation overtook answers its own waiters, but is not kept as fresh
        if (generation === this.generation) {
          this.snapshot = snapshot;
          this.readAt = this.now();
          this.failure = null;
        }
        return snapshot;
      })
      .catch((error: unknown) => {
        if (generation === this.generation) this.failure = { error, at: this.now() };
        throw error;
      })
      .finally(() => {
        if (this.pending === read) this.pending = null;
      });
    this.pending = read;
    return read;
  }
}
