/**
 * Ctrl-C (SIGINT) and SIGTERM for a command that works through a list (fetch, ingest): the first stops it
 * after the piece under way, which is finished or rolled back whole, so that the command can say what it
 * did and what it left. Another signal, a second or more after the first, ends the process at once.
 */

/**
 * A second signal within this time is the first again: one Ctrl-C reaches the process twice under `npm start` or
 * `npm run cli` (the terminal sends it to npm and to this process, and npm passes it on).
 */
export const SAME_SIGNAL_MS = 1_000;

/** A process stopped by a signal exits with 128 + its number, as shells report it. */
export const EXIT_ON = { SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof EXIT_ON;

export interface Stopping {
  /** Aborted by the first signal. */
  readonly signal: AbortSignal;
  /** The signal that stopped the command, if one did. */
  stoppedBy(): StopSignal | null;
  /** Stops listening: signals do what they do by default again. */
  release(): void;
}

export function stopOnSignals(): Stopping {
  const stop = new AbortController();
  let stoppedBy: StopSignal | null = null;
  let stoppedAt = 0;
  const onSignal = (signal: StopSignal) => {
    if (stoppedBy) {
      if (Date.now() - stoppedAt < SAME_SIGNAL_MS) return;
      process.exit(EXIT_ON[signal]);
    }
    stoppedBy = signal;
    stoppedAt = Date.now();
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: stop.signal,
    stoppedBy: () => stoppedBy,
    release: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
