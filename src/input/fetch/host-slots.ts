/**
 * At most a few fetches at once from one origin, the others waiting their
 * turn in order. The fetcher's time limit starts once a fetch holds its
 * slot: twenty feeds of one slow site fetched together wait behind each
 * other, and none of them fails for time it spent queued rather than
 * talking to the server. (The HTTP client's own per-host connection limit
 * queues too, but inside the request, where the time limit already runs.)
 */
interface Origin {
  busy: number;
  waiting: (() => void)[];
}

export class HostSlots {
  private readonly origins = new Map<string, Origin>();

  constructor(private readonly size: number) {}

  /** Waits for a slot of `origin`; resolves to its release, which is safe to call twice. Rejects with the signal's reason if it aborts first. */
  async take(origin: string, signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) throw signal.reason;
    let entry = this.origins.get(origin);
    if (!entry) {
      entry = { busy: 0, waiting: [] };
      this.origins.set(origin, entry);
    }
    const held = entry;
    if (held.busy < this.size) held.busy++;
    else {
      // a release hands its slot to the first waiter: busy stays as it is
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          const at = held.waiting.indexOf(go);
          if (at >= 0) held.waiting.splice(at, 1);
          reject(signal.reason);
        };
        const go = () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
        signal.addEventListener("abort", onAbort, { once: true });
        held.waiting.push(go);
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = held.waiting.shift();
      if (next) next();
      else if (--held.busy === 0) this.origins.delete(origin);
    };
  }

  /** Origins with a fetch under way or waiting: none once every fetch has ended. */
  get active(): number {
    return this.origins.size;
  }
}
