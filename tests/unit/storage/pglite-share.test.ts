/**
 * The shared session's protocol handling (storage/pglite-share.ts), on an in-memory PGlite over a real Unix
 * socket: what a client sends in one write or in pieces runs in order, what it leaves behind (settings, a
 * transaction, prepared statements) is gone for the next client, and malformed bytes cut that client off
 * without stopping the database.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lastReadyStatus, type SharedSocket, shareOverSocket } from "../../../src/storage/pglite-share";

let pg: PGlite;
let shared: SharedSocket;
let dir: string;

beforeAll(async () => {
  pg = await PGlite.create();
  await pg.exec("create table notes (body text)");
  dir = mkdtempSync(join(tmpdir(), "feedwerk-share-"));
  shared = await shareOverSocket(pg, join(dir, "feedwerk.sock"));
});
afterAll(async () => {
  await shared.close();
  await pg.close();
  rmSync(dir, { recursive: true, force: true });
});

const frame = (type: string, body: Buffer) => {
  const head = Buffer.alloc(5);
  head.write(type, 0, "latin1");
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const query = (sql: string) => frame("Q", Buffer.from(`${sql}\0`));
const startup = () => {
  const body = Buffer.from("user\0postgres\0database\0postgres\0\0");
  const head = Buffer.alloc(8);
  head.writeInt32BE(body.length + 8, 0);
  head.writeInt32BE(196608, 4);
  return Buffer.concat([head, body]);
};

/** A raw client: what it has been sent so far, and a wait for the connection's end. */
function rawClient(): Promise<{ socket: Socket; received: () => Buffer; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(shared.path);
    const chunks: Buffer[] = [];
    socket.on("data", (d) => chunks.push(d));
    const closed = new Promise<void>((done) => socket.on("close", () => done()));
    socket.on("error", () => {});
    socket.once("connect", () => resolve({ socket, received: () => Buffer.concat(chunks), closed }));
    socket.once("error", reject);
  });
}

async function until(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  for (let waited = 0; !(await check()); waited += 10) {
    if (waited > ms) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

const notes = async () => (await pg.query<{ body: string }>("select body from notes order by body")).rows.map((r) => r.body);

describe("the shared session's protocol", () => {
  it("runs a query and the Terminate sent with it in one write, in order", async () => {
    const client = await rawClient();
    client.socket.write(Buffer.concat([startup(), query("insert into notes values ('in one write')"), frame("X", Buffer.alloc(0))]));
    await client.closed;
    await until(async () => (await notes()).includes("in one write"));
  });

  it("frames messages that arrive a byte at a time", async () => {
    const client = await rawClient();
    const bytes = Buffer.concat([startup(), query("insert into notes values ('byte by byte')")]);
    for (const byte of bytes) client.socket.write(Buffer.from([byte]));
    await until(() => client.received().includes("INSERT 0 1") && lastReadyStatus(client.received()) === "I");
    client.socket.end();
    await client.closed;
    expect(await notes()).toContain("byte by byte");
  });

  it("leaves nothing of a client to the server or the next client: its settings, statements and open transaction", async () => {
    const sql = postgres({ path: shared.path, max: 1, prepare: false, onnotice: () => {} });
    await sql`set work_mem = '77MB'`;
    await sql.unsafe("prepare named_one as select 1");
    const open = sql.begin(async (tx) => {
      await tx`insert into notes values ('never committed')`;
      // the client goes away in the middle of its transaction
      await sql.end({ timeout: 0 });
    });
    await open.catch(() => {});
    // the server's own queries wait for the client's clean-up, then see none of it
    expect((await pg.query<{ work_mem: string }>("show work_mem")).rows[0]!.work_mem).toBe("4MB");
    expect((await pg.query("select name from pg_prepared_statements")).rows).toEqual([]);
    expect(await notes()).not.toContain("never committed");
  });

  for (const [what, bytes] of [
    ["a start-up packet whose length is zero", Buffer.from("0000000004d2162f", "hex")],
    ["a start-up packet longer than PostgreSQL allows", Buffer.from("000fffff00030000", "hex")],
    ["a message whose length is negative", Buffer.concat([startup(), Buffer.from("51ffffffff", "hex")])],
    ["a message of a type PostgreSQL's clients never send", Buffer.concat([startup(), frame("z", Buffer.alloc(0))])],
    ["a cancel request", Buffer.from("0000001004d2162e0000000100000002", "hex")],
  ] as const) {
    it(`cuts off a client that sends ${what}, and goes on answering`, async () => {
      const client = await rawClient();
      client.socket.write(bytes);
      await client.closed;
      expect((await pg.query<{ n: number }>("select 1 as n")).rows[0]!.n).toBe(1);
      const sql = postgres({ path: shared.path, max: 1, prepare: false, onnotice: () => {} });
      try {
        expect((await sql`select 2 as n`)[0]!.n).toBe(2);
      } finally {
        await sql.end({ timeout: 1 });
      }
    });
  }
});

describe("lastReadyStatus", () => {
  it("reads the status of the last ReadyForQuery among backend messages", () => {
    const ready = (status: string) => Buffer.from([0x5a, 0, 0, 0, 5, status.charCodeAt(0)]);
    const complete = Buffer.concat([Buffer.from([0x43, 0, 0, 0, 13]), Buffer.from("SELECT 1\0")]);
    expect(lastReadyStatus(Buffer.concat([complete, ready("T")]))).toBe("T");
    expect(lastReadyStatus(Buffer.concat([ready("T"), complete, ready("I")]))).toBe("I");
    expect(lastReadyStatus(complete)).toBeNull();
  });
});
