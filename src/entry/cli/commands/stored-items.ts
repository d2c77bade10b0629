/** items: what one followed feed brought, as lines or as the JSON `parse` prints. */
import { isoSeconds, itemToJson } from "../../../normalise/item";
import { findItem } from "../../../storage/queries";
import { findFeedSource, itemIdsOfSource } from "../../../storage/sources";
import { withDatabase } from "../database";

export async function printStoredItems(options: { source: string; json?: boolean }): Promise<void> {
  await withDatabase(async (opened) => {
    const source = await findFeedSource(opened.db, options.source);
    if (!source) throw new Error(`${options.source}: no followed feed has this name or address`);
    const found = (await Promise.all((await itemIdsOfSource(opened.db, source.id)).map((id) => findItem(opened.db, id)))).filter(
      (i): i is NonNullable<typeof i> => i !== null,
    );
    if (options.json) process.stdout.write(`${JSON.stringify({ items: found.map(itemToJson) }, null, 2)}\n`);
    else if (!found.length) console.log(`no items stored for ${source.name}${source.lastFetchAt ? "" : ": not fetched yet (`fetch`)"}`);
    else for (const item of found) console.log(`${item.publishedAt ? isoSeconds(item.publishedAt) : "(undated)           "}  ${item.title}`);
  });
}
