/** prune: what retention takes out, on demand (serve --poll does it on a schedule). */
import type { Command } from "commander";
import { isoSeconds } from "../../../normalise/item";
import { describePrune, pruneByPolicy } from "../../../pipeline/prune-schedule";
import { days } from "../arguments";
import { withDatabase } from "../database";
import { notifyHub } from "../hub-notice";
import { readConfig } from "../../config";

export function addPruneCommand(program: Command): void {
  program
    .command("prune")
    .description("remove items last seen longer ago than FEEDWERK_RETAIN_DAYS, with their observations, and emptied documents")
    .option("--older-than <days>", "this many days instead of FEEDWERK_RETAIN_DAYS", days)
    .option("--dry-run", "count what would be removed, remove nothing")
    .action(async (options: { olderThan?: number; dryRun?: boolean }) => {
      const config = readConfig();
      if (config.retainDays === null && options.olderThan === undefined) {
        console.log("retention is off (FEEDWERK_RETAIN_DAYS=forever): nothing pruned; --older-than DAYS prunes once");
        return;
      }
      await withDatabase(async (opened) => {
        const report = (await pruneByPolicy(opened.db, config, new Date(), { dryRun: options.dryRun, olderThanDays: options.olderThan }))!;
        const kept = ["what sources still list", ...(config.keepTags.length ? [`tags ${config.keepTags.join(", ")}`] : [])].join(", ");
        console.log(`${options.dryRun ? "would prune" : "pruned"} ${describePrune(report)} (last seen before ${isoSeconds(report.cutoff)}; kept: ${kept})`);
        if (!options.dryRun && report.items) await notifyHub(new Set(report.changedTags), true);
      });
    });
}
