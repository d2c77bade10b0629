/**
 * The publishing app over real HTTP: the contract (tests/support/
 * http-contract.ts) against a listening Node server on both storage
 * backends, and the same bytes rendered from the same data on either.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../src/entry/server";
import { createApp } from "../src/publish/app";
import type { OpenDatabase } from "../src/storage/open";
import { backends } from "./support/databases";
import { describeHttpContract, loadContractData } from "./support/http-contract";

/** Feeds rendered by each backend with the same public URL, compared at the end. */
const rendered = new Map<string, string[]>();
const PUBLIC = "https://feeds.example.org";

for (const backend of backends) {
  describeHttpContract(
    `HTTP on the Node server, ${backend.name}`,
    async () => {
      const db = await backend.open();
      const server = await startServer(db.db, { port: 0, hostname: "127.0.0.1" });
      return {
        url: server.url,
        db: db.db,
        close: async () => {
          await server.close();
          await db.close();
        },
      };
    },
    { skip: backend.unavailable !== null },
  );

  describe.skipIf(backend.unavailable)(`rendering on ${backend.name}`, () => {
    let db: OpenDatabase;
    beforeAll(async () => {
      db = await backend.open();
      await loadContractData(db.db);
    });
    afterAll(async () => {
      await db?.close();
    });

    it("renders the same bytes for the same data", async () => {
      const app = createApp({ db: db.db, publicUrl: PUBLIC });
      const bodies: string[] = [];
      for (const path of ["/feeds/ukraine.xml", "/feeds/ukraine.atom", "/feeds/ukraine.json", "/feeds/krieg.xml"]) {
        const first = await (await app.fetch(new Request(`http://internal${path}`))).text();
        const second = await (await app.fetch(new Request(`http://other-host${path}`))).text();
        expect(second).toBe(first);
        expect(first).toContain(`${PUBLIC}/feeds/`);
        bodies.push(first);
      }
      rendered.set(backend.name, bodies);
    });
  });
}

describe.skipIf(backends.some((b) => b.unavailable))("PGlite and PostgreSQL", () => {
  it("render identical feeds from identical data", () => {
    const [a, b] = backends.map((backend) => rendered.get(backend.name));
    expect(a).toBeDefined();
    expect(b).toEqual(a);
  });
});
