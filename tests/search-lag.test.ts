/**
 * Search is kept up to date after the storing transaction, within seconds: on both backends, a running
 * `serve` finds with ?q= a story stored by another process within 5 s of its commit, and stories whose
 * process ended between storing and indexing (committed, queued, never indexed: a crash there) are found
 * once a server starts. The stories are stored straight through the storage module, which queues them and
 * indexes nothing: only the server's own indexing can make ?q= find them.
 */
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type OpenDatabase } from "../src/storage/open";
import { indexBatch, indexQueued, matchingQuery, searchBacklog } from "../src/storage/search-index";
import { storeDocument } from "../src/storage/store-document";
import { startCli, type RunningCli } from "./support/cli";
import { backends, forEachBackend, type Scratch } from "./support/databases";
import { teaser } from "./support/stories";

/** Stores one story naming `word`, as a page of its own; indexes nothing. `alongside` runs in its transaction, last. */
async function storeStory(db: OpenDatabase, word: string, summary = `Der ${word} meldet sich zu Wort.`, alongside?: () => Promise<void>): Promise<void> {
  await storeDocument(
    db.db,
    {
      source: { kind: "page", name: `page-${word}` },
      name: `${word}.txt`,
      sha256: randomUUID().replaceAll("-", "").padEnd(64, "0"),
      fetchedAt: new Date(),
      items: [teaser(`Neues vom ${word}`, summary)],
    },
    alongside,
  );
}

async function found(base: string, word: string): Promise<string[]> {
  const res = await fetch(`${base}/feeds/all.json?q=${encodeURIComponent(word)}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: { title: string }[] }).items.map((i) => i.title);
}

/** Milliseconds until ?q= finds `word`, asking every 100 ms for up to `limitMs`; null if it never did. */
async function msUntilFound(base: string, word: string, since: number, limitMs: number): Promise<number | null> {
  for (;;) {
    if ((await found(base, word)).length) return Date.now() - since;
    if (Date.now() - since > limitMs) return null;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

forEachBackend("search after storing", (backend) => {
  let scratch: Scratch;
  let server: RunningCli | undefined;
  let base: string;
  let writer: OpenDatabase;

  beforeAll(async () => {
    scratch = await backend.scratch();
    // stories a process stored and then ended before indexing: committed, queued, not indexed
    const before = await scratch.open();
    await before.migrate();
    await storeStory(before, "Vorabwort");
    expect(await searchBacklog(before.db)).toBe(1);
    await before.close();

    server = startCli(["serve", "--port", "0"], scratch.env);
    base = (await server.waitFor(/ at (http:\/\/127\.0\.0\.1:\d+)/, 60_000))[1]!;
    // the embedded database is reached through the server once it offers it; PostgreSQL directly
    if (backend.name === "pglite") await server.waitFor(/other commands reach the embedded database through/, 30_000);
    writer = backend.name === "pglite" ? await openDatabase({ dataDir: scratch.env.FEEDWERK_DATA, sharing: "join" }) : await scratch.open();
  }, 120_000);

  afterAll(async () => {
    await writer?.close();
    server?.child.kill("SIGTERM");
    await server?.exited;
    await scratch?.dispose();
  });

  it("finds what was stored and queued before the server started, once it has started", async () => {
    expect(await msUntilFound(base, "Vorabwort", Date.now(), 5_000)).not.toBeNull();
    expect(await found(base, "Vorabwort")).toEqual(["Neues vom Vorabwort"]);
  });

  it("finds a story stored by another process within 5 s of its commit, and none before it is stored", async () => {
    for (const word of ["Lagwort", "Zweitwort", "Drittwort"]) {
      expect(await found(base, word)).toEqual([]);
      await storeStory(writer, word);
      const committed = Date.now();
      const ms = await msUntilFound(base, word, committed, 5_000);
      expect(ms, `?q=${word} after its commit`).not.toBeNull();
      expect(ms!).toBeLessThanOrEqual(5_000);
    }
    expect(await searchBacklog(writer.db)).toBe(0);
  });
});

const postgres = backends.find((b) => b.name === "postgres")!;

describe.skipIf(postgres.unavailable)("the search queue beside a storing transaction, on postgres", () => {
  let opened: OpenDatabase;
  beforeAll(async () => {
    opened = await postgres.open();
  });
  afterAll(() => opened?.close());

  const hits = async (q: string) =>
    Number(((await opened.db.execute(sql`select count(*)::int as n from items where ${matchingQuery(q)}`)) as unknown as { n: number }[])[0]!.n);

  it("indexes a story's new text when an indexer runs while the transaction changing it, queued already, is open", async () => {
    await storeStory(opened, "Wortlaut", "Die erste Fassung.");
    // changed while its first text waits in the queue: the indexer runs before the change commits
    let indexed = -1;
    await storeStory(opened, "Wortlaut", "Die zweite Fassung mit Nachtrag.", async () => {
      indexed = await indexBatch(opened.db);
    });
    // it took nothing the open transaction held
    expect(indexed).toBe(0);
    await indexQueued(opened.db);
    expect(await hits("Nachtrag")).toBe(1);
    expect(await searchBacklog(opened.db)).toBe(0);
  });
});
