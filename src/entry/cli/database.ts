/** The database a command works on: opened from the configuration, migrated, closed when the command is done. */
import { openDatabase, type OpenDatabase } from "../../storage/open";
import { readConfig } from "../config";
import { rootMessage } from "./failures";

export async function withDatabase<T>(run: (opened: OpenDatabase) => Promise<T>): Promise<T> {
  const config = readConfig();
  const opened = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    try {
      await opened.migrate();
    } catch (error) {
      throw new Error(`cannot prepare the database ${opened.description}: ${rootMessage(error)}`);
    }
    return await run(opened);
  } finally {
    await opened.close();
  }
}
