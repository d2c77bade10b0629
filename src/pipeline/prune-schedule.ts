/**
 * Pruning by the configured policy, and when `serve --poll` does it: a few
 * minutes after it starts, then every N hours. Each wait is jittered, so
 * that servers started together do not all prune at the same moment.
 */
import type { Database } from "../storage/database";
import { cutoffFor, prune, type PruneReport } from "../storage/retention";

export interface RetentionSettings {
  /** Items last seen longer ago than this are pruned; null: never. */
  retainDays: number | null;
  keepTags: readonly string[];
  pruneEveryHours: number;
}

/** Not at once: a server restarted in a loop should not prune at every start, nor before it serves. */
export const FIRST_PRUNE_AFTER_MS = 5 * 60_000;

/** ±10 % around `ms`. */
function jittered(ms: number, random: () => number): number {
  return Math.round(ms * (0.9 + 0.2 * random()));
}

export function firstPruneDelayMs(random: () => number = Math.random): number {
  return jittered(FIRST_PRUNE_AFTER_MS, random);
}

export function nextPruneDelayMs(settings: Pick<RetentionSettings, "pruneEveryHours">, random: () => number = Math.random): number {
  return jittered(settings.pruneEveryHours * 60 * 60_000, random);
}

export interface PolicyPrune extends PruneReport {
  cutoff: Date;
}

/** One prune by the policy as of `now`; null when retention is off. */
export async function pruneByPolicy(
  db: Database,
  settings: RetentionSettings,
  now: Date,
  options: { dryRun?: boolean; olderThanDays?: number } = {},
): Promise<PolicyPrune | null> {
  const days = options.olderThanDays ?? settings.retainDays;
  if (days === null) return null;
  const cutoff = cutoffFor(now, days);
  return { cutoff, ...(await prune(db, { cutoff, keepTags: settings.keepTags }, { dryRun: options.dryRun })) };
}

/** "12 items, 340 observations, 5 documents": what a prune removed, for log lines and the command line. */
export function describePrune(report: PruneReport): string {
  const counted = (n: number, what: string) => `${n} ${n === 1 ? what : `${what}s`}`;
  return `${counted(report.items, "item")}, ${counted(report.observations, "observation")}, ${counted(report.documents, "document")}`;
}
