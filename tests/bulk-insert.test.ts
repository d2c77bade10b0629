/**
 * Bulk inserts (storage/bulk-insert.ts insertRows) send each column as one array literal: every value
 * must come back from the database as it went in, whatever it holds (quotes, backslashes, braces,
 * commas, the word NULL, an empty string, line breaks, non-Latin text), with null as NULL, numbers,
 * booleans, jsonb and instants mapped as the column says. On both storage backends.
 */
import { sql } from "drizzle-orm";
import { boolean, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { insertRows } from "../src/storage/bulk-insert";
import type { OpenDatabase } from "../src/storage/open";
import { forEachBackend } from "./support/databases";

const probe = pgTable("bulk_insert_probe", {
  id: integer("id").notNull(),
  label: text("label").notNull(),
  note: text("note"),
  count: integer("count"),
  flag: boolean("flag").notNull(),
  tags: jsonb("tags").$type<unknown>(),
  at: timestamp("at", { withTimezone: true, mode: "date" }),
});

const awkward = [
  "",
  "NULL",
  "null",
  '"',
  '""',
  "\\",
  "\\\\",
  'a "quoted" \\ back\\slash',
  "{braces}, commas, and } stray { ones",
  "{}",
  "line\nbreak\tand tab\r",
  "  leading and trailing  ",
  "Ümlaute, ß, € und 中文 und 🙂",
  "'single quotes'",
  "semi; colon -- comment /* not */",
];

forEachBackend("bulk inserts", (backend) => {
  let opened: OpenDatabase;
  beforeAll(async () => {
    opened = await backend.open();
    await opened.db.execute(
      sql`create table bulk_insert_probe (id integer not null, label text not null, note text, count integer, flag boolean not null, tags jsonb, at timestamp with time zone)`,
    );
  });
  afterAll(async () => opened?.close());

  it("give back every value as it went in: text of any kind, NULL, numbers, booleans, jsonb and instants", async () => {
    const rows = awkward.map((label, id) => ({
      id,
      label,
      note: id % 3 === 0 ? null : `${label}|${id}`,
      count: id % 4 === 0 ? null : id * -7,
      flag: id % 2 === 0,
      tags: id % 5 === 0 ? null : { label, list: [label, id, null, true] },
      at: id % 6 === 0 ? null : new Date(Date.UTC(1999 + id, id % 12, 1 + id, id, 2 * id, 3 * id, 7 * id)),
    }));
    await insertRows(opened.db, probe, rows, { name: "bulk_insert_probe" });
    // the same statement again, prepared already on this connection
    await insertRows(
      opened.db,
      probe,
      rows.map((r) => ({ ...r, id: r.id + 100 })),
      { name: "bulk_insert_probe" },
    );
    const back = await opened.db.select().from(probe).orderBy(probe.id);
    expect(back).toEqual([...rows, ...rows.map((r) => ({ ...r, id: r.id + 100 }))]);
  });
});
