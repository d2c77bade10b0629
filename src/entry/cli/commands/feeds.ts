/**
 * fetch and items: a polling pass over the followed feeds, and what one of
 * them brought. Their work lives in fetch-pass.ts and stored-items.ts,
 * loaded when the command runs: fetch starts its reading thread first.
 */
import type { Command } from "commander";
import { FeedReadingPool } from "../../node/feed-reading";

export function addFeedCommands(program: Command): void {
  program
    .command("fetch")
    .description("one polling pass over the feeds that are due")
    .option("--all", "every feed, due or not")
    .action(async (options: { all?: boolean }) => {
      // the reading thread loads its modules while this one loads the pass's, opens the database and claims and fetches the first feeds
      const reading = new FeedReadingPool();
      reading.warm();
      let pass: typeof import("./fetch-pass");
      try {
        pass = await import("./fetch-pass");
      } catch (error) {
        await reading.close();
        throw error;
      }
      await pass.fetchPass(options, reading);
    });

  program
    .command("items")
    .description("the stored items of one followed feed")
    .requiredOption("--source <url-or-name>", "the feed")
    .option("--json", "as JSON, in the shape 'parse' prints")
    .action(async (options: { source: string; json?: boolean }) => (await import("./stored-items")).printStoredItems(options));
}
