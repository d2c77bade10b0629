/**
 * Keeps the full-text index up to date behind the storing (storage/search-index.ts): a pass kicks it as
 * its documents are stored, and a server on a short timer, so that ?q= finds a story within seconds of
 * its commit. One run at a time, in bulk: kicks that come while it runs make one more run after it.
 */
import type { Database } from "../storage/database";
import { indexQueued } from "../storage/search-index";

export class SearchIndexing {
  private running: Promise<void> | null = null;
  private again = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private stopped = false;

  constructor(
    private readonly db: Database,
    /** Why a run failed (the database gone): what is queued stays queued, for the next run. */
    private readonly failed: (error: unknown) => void = () => {},
  ) {}

  /** Stories were queued: index them soon. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => {
      this.running = null;
    });
  }

  /** Kicks every `ms` from now on (a server), beginning now: what an earlier process left queued is indexed at start. */
  every(ms: number): void {
    this.stop();
    this.stopped = false;
    this.kick();
    this.timer = setInterval(() => this.kick(), ms);
    // the timer alone keeps no process alive
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** No more runs begin; a run under way ends as it will, and its failure (the database closed under it) goes unsaid. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopped = true;
  }

  /** Waits for the run under way, then indexes whatever is still queued; returns how many it indexed, or throws why not. */
  async settle(): Promise<number> {
    await this.running;
    return indexQueued(this.db);
  }

  /** Called after each run that worked: a server says when indexing works again after failing. */
  succeeded: () => void = () => {};

  private async run(): Promise<void> {
    try {
      do {
        this.again = false;
        await indexQueued(this.db);
      } while (this.again);
      this.succeeded();
    } catch (error) {
      if (!this.stopped) this.failed(error);
    }
  }
}
