/**
 * How a server that starts before its database is ready prepares it in the
 * background (prepareForServing): which failures it waits through and which
 * stop it, what it says meanwhile, and "migrating" once the database
 * answers. The setup is a function that fails as the driver does, so no
 * database is involved; tests/database-outage.test.ts runs the real thing.
 */
import { describe, expect, it } from "vitest";
import { prepareForServing } from "../src/entry/cli/database";
import type { OpenDatabase } from "../src/storage/open";

const opened = { description: "PostgreSQL (postgres://db.example/feeds)" } as OpenDatabase;
const driverError = (code: string, severity?: string) => Object.assign(new Error(`failure ${code}`), { code, severity });

describe("preparing the database while serving", () => {
  it("waits while the database refuses connections, says migrating once it answers, and is prepared after", async () => {
    const lines: string[] = [];
    const failures = [driverError("ECONNREFUSED"), driverError("57P03", "FATAL")];
    let finishMigration = () => {};
    const migrationHeld = new Promise<void>((resolve) => {
      finishMigration = resolve;
    });
    let migratingSeen = false;
    const preparation = await prepareForServing(
      opened,
      async (migrating) => {
        const failure = failures.shift();
        if (failure) throw failure;
        migrating();
        migratingSeen = true;
        await migrationHeld;
      },
      (line) => lines.push(line),
    );
    expect(preparation.pending()).toEqual({ code: "ECONNREFUSED", reason: "the database is unreachable (ECONNREFUSED)" });
    await expect.poll(() => preparation.pending()?.code, { timeout: 5_000 }).toBe("57P03");
    await expect.poll(() => migratingSeen, { timeout: 5_000 }).toBe(true);
    expect(preparation.pending()).toEqual({ code: "MIGRATING", reason: "migrating" });
    finishMigration();
    await preparation.done;
    expect(preparation.pending()).toBeNull();
    expect(lines).toEqual([
      "the database PostgreSQL (postgres://db.example/feeds) is unreachable (ECONNREFUSED): answering 503 until it answers, trying again every few seconds",
      "the database PostgreSQL (postgres://db.example/feeds) is now unreachable (57P03): still trying",
      "the database PostgreSQL (postgres://db.example/feeds) answers: prepared, serving",
    ]);
  });

  for (const [what, error] of [
    ["a host name that does not resolve", driverError("ENOTFOUND")],
    ["a missing privilege", driverError("42501")],
    ["a pooler refusing a startup parameter", driverError("08P01", "FATAL")],
    ["a refused login", driverError("28P01", "FATAL")],
  ] as const) {
    it(`stops at once on ${what}`, async () => {
      const lines: string[] = [];
      await expect(
        prepareForServing(
          opened,
          () => Promise.reject(error),
          (line) => lines.push(line),
        ),
      ).rejects.toThrow(`cannot prepare the database PostgreSQL (postgres://db.example/feeds): failure ${error.code}`);
      expect(lines).toEqual([]);
    });
  }

  it("stops on a failure that waiting does not mend after waiting through one that it does", async () => {
    const failures = [driverError("ECONNREFUSED"), driverError("42501")];
    const preparation = await prepareForServing(
      opened,
      async () => {
        throw failures.shift();
      },
      () => {},
    );
    await expect(preparation.done).rejects.toThrow("failure 42501");
  });
});
