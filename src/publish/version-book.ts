/**
 * Keeps a recent snapshot of every feed's version so that a request for a
 * cached feed costs no query at all. Ingestions in this process invalidate
 * it at once; those of other processes (a CLI on the same PostgreSQL) are
 * seen within `maxAgeMs`.
 */
import type { Database } from "../storage/database";
import { readVersions, type VersionSnapshot } from "../storage/versions";

export interface VersionBookOptions {
  /** How old a snapshot may be before a request reads a new one. */
  maxAgeMs?: number;
  /** An unknown tag re-reads the snapshot, but not more often than this. */
  unknownRetryMs?: number;
  now?: () => number;
}

export class VersionBook {
  private snapshot: VersionSnapshot | null = null;
  private readAt = -Infinity;
  private pending: Promise<VersionSnapshot> | null = null;
  private readonly maxAgeMs: number;
  private readonly unknownRetryMs: number;
  private readonly now: () => number;

  constructor(
    private readonly db: Database,
    options: VersionBookOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 2_000;
    this.unknownRetryMs = options.unknownRetryMs ?? 250;
    this.now = options.now ?? Date.now;
  }

  async current(): Promise<VersionSnapshot> {
    if (this.snapshot && this.now() - this.readAt < this.maxAgeMs) return this.snapshot;
    return this.refresh();
  }

  /** The snapshot without waiting, if it is fresh and knows every one of `slugs`; else null. */
  fresh(slugs: string[]): VersionSnapshot | null {
    const snapshot = this.snapshot;
    if (!snapshot || this.now() - this.readAt >= this.maxAgeMs) return null;
    for (const slug of slugs) if (!snapshot.tags.has(slug)) return null;
    return snapshot;
  }

  /** The snapshot, re-read first if it lacks one of `slugs` and has not just been read. */
  async covering(slugs: string[]): Promise<VersionSnapshot> {
    const snapshot = await this.current();
    if (slugs.every((s) => snapshot.tags.has(s)) || this.now() - this.readAt < this.unknownRetryMs) return snapshot;
    return this.refresh();
  }

  /** Call after an ingestion in this process. */
  invalidate(): void {
    this.readAt = -Infinity;
  }

  private refresh(): Promise<VersionSnapshot> {
    // one query in flight, however many requests wait for it
    this.pending ??= readVersions(this.db)
      .then((snapshot) => {
        this.snapshot = snapshot;
        this.readAt = this.now();
        return snapshot;
      })
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }
}
