/** A polling pass's storing: the documents read while others are being stored wait, and are stored together as one group. */
import type { Database } from "../storage/database";
import { storeDocuments, type Stored, type Storing } from "../storage/store-document";

/** Groups of documents a pass stores at once. */
const STORERS = 2;

/**
 * Stores a document with others read meanwhile, `groupSize` at most to a group; gives null when the pass stopped
 * (`signal`) before it was stored.
 */
export function groupedStoring(db: Database, groupSize: number, signal: AbortSignal | undefined): (storing: Storing) => Promise<Stored | null> {
  // Two storers: the documents read while a group is being stored make the next group, at most one per worker; a
  // second group is stored while the first waits on the database's answers (one storer alone left the second
  // core idle between its statements and made the pass slower than storing each document in its own transaction).
  const waiting: { storing: Storing; settle: (stored: Stored | null) => void }[] = [];
  let storers = 0;
  const storeAll = async () => {
    while (waiting.length) {
      const group = waiting.splice(0, groupSize);
      // a stopped pass stores no more: what waits is given back with the rest of what is claimed
      if (signal?.aborted) {
        for (const { settle } of group) settle(null);
        continue;
      }
      const results = await storeDocuments(
        db,
        group.map((w) => w.storing),
      ).catch((error: unknown) => group.map((): Stored => ({ error })));
      for (const [k, { settle }] of group.entries()) settle(results[k]!);
    }
    storers--;
  };
  return (storing: Storing) =>
    new Promise<Stored | null>((settle) => {
      waiting.push({ storing, settle });
      if (storers < STORERS) {
        storers++;
        void storeAll();
      }
    });
}
