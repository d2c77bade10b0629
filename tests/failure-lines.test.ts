/**
 * The line a command fails with when the database goes away under it: the
 * driver's own reason, not drizzle's "Failed query: …" with every parameter.
 */
import { describe, expect, it } from "vitest";
import { failureLine } from "../src/entry/cli/failures";
import { openDatabase } from "../src/storage/open";
import { sources } from "../src/storage/schema";

describe("failureLine", () => {
  it("says a query whose database is unreachable as such, without the query and its parameters", async () => {
    // port 1 on loopback: nothing listens there, so the connection is refused at once
    const opened = await openDatabase({ url: "postgres://postgres@127.0.0.1:1/feedwerk" });
    try {
      const error = await opened.db
        .select()
        .from(sources)
        .where(undefined)
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(String((error as Error).message)).toContain("Failed query");
      expect(failureLine(error)).toBe("the database is unreachable (ECONNREFUSED): connect ECONNREFUSED 127.0.0.1:1");
    } finally {
      await opened.close();
    }
  });

  it("keeps the message of an error that wraps nothing", () => {
    expect(failureLine(new Error("no such feed: x"))).toBe("no such feed: x");
    expect(failureLine("plain")).toBe("plain");
  });
});
