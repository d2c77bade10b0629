/**
 * backup and restore on both backends, through the command line as an
 * operator runs them: a database with pages ingested is backed up, restored
 * into a fresh one, and serves the same feeds byte for byte; a backup of an
 * older schema is restored and migrated; a file that is no backup, a
 * truncated one, one of the other database, or a database holding data
 * without --replace is refused by name, the database left as it was. And how
 * the kind of a file and the pg_dump to run are chosen.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { count } from "drizzle-orm";
import postgres from "postgres";
import { nodeCompressors } from "../src/entry/node/compressors";
import { ingestPage } from "../src/pipeline/ingest-page";
import { createApp } from "../src/publish/app";
import { VersionBook } from "../src/publish/version-book";
import { backupKind } from "../src/storage/backup";
import type { Database } from "../src/storage/database";
import { MIGRATIONS, type OpenDatabase } from "../src/storage/open";
import { chooseProgram, libpqEnvironment } from "../src/storage/pg-programs";
import { items, sources } from "../src/storage/schema";
import { cli } from "./support/cli";
import { forEachBackend, type Backend, type Scratch } from "./support/databases";
import { copyRows, migrateBefore } from "./support/migrations";

const pages = join(import.meta.dirname, "pages");
const SEED = { file: join(pages, "seed-alaska.txt"), fetchedAt: "2025-12-09T13:00:00Z" };
const FOLLOWUP = { file: join(pages, "prag-followup.txt"), fetchedAt: "2025-12-09T15:00:00Z" };
/** A tag of the seed page in each format, the all-stories feed, and the index. */
const FEEDS = ["/feeds/ukraine.xml", "/feeds/ukraine.atom", "/feeds/ukraine.json", "/feeds/all.xml", "/feeds/usa.json"];
const SLOW = 240_000;

interface Served {
  status: number;
  etag: string | null;
  body: string;
}

/** Each feed as the app serves it from this database. */
async function serve(db: Database): Promise<Map<string, Served>> {
  const app = createApp({ db, publicUrl: "https://feeds.example.org", versions: new VersionBook(db, { maxAgeMs: 0 }), compressors: nodeCompressors });
  const served = new Map<string, Served>();
  for (const path of FEEDS) {
    const res = await app.fetch(new Request(`https://feeds.example.org${path}`));
    served.set(path, { status: res.status, etag: res.headers.get("etag"), body: await res.text() });
  }
  return served;
}

async function withOpen<T>(scratch: Scratch, run: (opened: OpenDatabase) => Promise<T>): Promise<T> {
  const opened = await scratch.open();
  try {
    return await run(opened);
  } finally {
    await opened.close();
  }
}

const held = (db: Database) =>
  Promise.all([db.select({ n: count() }).from(items), db.select({ n: count() }).from(sources)]).then(([[i], [s]]) => ({ items: i!.n, sources: s!.n }));

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "feedwerk-backup-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A head of a backup of the other kind than `backend`'s: enough for restore to tell which it is. */
function otherKindFile(backend: Backend): string {
  const path = join(work, `other-kind-${backend.name}`);
  if (backend.name === "postgres") {
    const tar = Buffer.alloc(1024);
    tar.write("pgdata/PG_VERSION", 0);
    tar.write("ustar", 257);
    writeFileSync(path, gzipSync(tar));
  } else {
    writeFileSync(path, Buffer.concat([Buffer.from("PGDMP"), Buffer.alloc(4096, 7)]));
  }
  return path;
}

forEachBackend("backup and restore", (backend) => {
  const scratches: Scratch[] = [];
  const scratch = async () => {
    const s = await backend.scratch();
    scratches.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of scratches) await s.dispose();
  });
  const file = (name: string) => join(work, `${backend.name}-${name}`);

  it(
    "restores a backup into a fresh database, which serves the same feeds byte for byte",
    async () => {
      const from = await scratch();
      for (const page of [SEED, FOLLOWUP]) expect((await cli(["ingest", page.file, "--fetched-at", page.fetchedAt], from.env)).status).toBe(0);
      const before = await withOpen(from, (opened) => serve(opened.db));
      for (const [path, served] of before) expect(served.status, path).toBe(200);
      expect(before.get("/feeds/ukraine.xml")!.body).toContain("Alaska");

      const backup = file("full.backup");
      const saved = await cli(["backup", backup], from.env);
      expect(saved.stderr).toBe("");
      expect(saved.status).toBe(0);
      const format = backend.name === "postgres" ? "pg_dump custom format" : "PGlite data folder, gzipped tar";
      expect(saved.stdout).toMatch(new RegExp(`^backed up .+ to ${backup}: [\\d.]+ (KiB|MiB) \\(${format}\\)\\n$`));
      // the password of DATABASE_URL is never said, and no partial file is left beside the backup
      expect(readdirSync(work).filter((f) => f.includes("partial"))).toEqual([]);

      const to = await scratch();
      const restored = await cli(["restore", backup], to.env);
      expect(restored.stderr).toBe("");
      expect(restored.status).toBe(0);
      expect(restored.stdout).toMatch(new RegExp(`^restored ${backup} \\(${format}\\) into .+: 19 items, 1 source, 12 tags; its schema is current\\n$`));
      const after = await withOpen(to, async (opened) => {
        expect(await held(opened.db)).toEqual(await withOpen(from, (o) => held(o.db)));
        return serve(opened.db);
      });
      for (const path of FEEDS) expect(after.get(path), path).toEqual(before.get(path));
    },
    SLOW,
  );

  it(
    "restores a backup of an older version, migrated to today's schema, which serves its feeds",
    async () => {
      // today's code writes the rows; a database at the schema before the migration topics gets them, as that release wrote them
      const today = await backend.open();
      let expected: string[];
      try {
        await ingestPage(today.db, { name: "seed", bytes: new Uint8Array(readFileSync(SEED.file)), fetchedAt: new Date(SEED.fetchedAt) });
        const json = (await serve(today.db)).get("/feeds/ukraine.json")!;
        expected = (JSON.parse(json.body) as { items: { title: string }[] }).items.map((i) => i.title).sort();
        const old = await scratch();
        await withOpen(old, async (opened) => {
          await migrateBefore(opened, backend, "topics");
          await copyRows(today.db, opened.db);
        });
        expect((await cli(["backup", file("old.backup")], old.env)).status).toBe(0);
      } finally {
        await today.close();
      }

      const to = await scratch();
      const restored = await cli(["restore", file("old.backup")], to.env);
      expect(restored.stderr).toBe("");
      expect(restored.status).toBe(0);
      // the migrations from "topics" on: those the older version did not have
      const applied = migrationTags().length - migrationTags().findIndex((tag) => tag.endsWith("_topics"));
      expect(restored.stdout).toMatch(new RegExp(`: 17 items, 1 source, \\d+ tags; ${applied} migrations applied \\(a backup of an older version\\)\\n$`));
      await withOpen(to, async (opened) => {
        const served = await serve(opened.db);
        for (const [path, feed] of served) expect(feed.status, path).toBe(200);
        const titles = (JSON.parse(served.get("/feeds/ukraine.json")!.body) as { items: { title: string }[] }).items.map((i) => i.title).sort();
        expect(titles).toEqual(expected);
        expect(served.get("/feeds/ukraine.xml")!.body).toContain("Alaska");
      });
    },
    SLOW,
  );

  it(
    "refuses what is no backup, a truncated one, the other database's, and a database holding data unless --replace; the database untouched",
    async () => {
      const target = await scratch();
      expect((await cli(["ingest", SEED.file, "--fetched-at", SEED.fetchedAt], target.env)).status).toBe(0);
      const before = await withOpen(target, async (opened) => ({ held: await held(opened.db), feeds: await serve(opened.db) }));
      expect(before.held).toEqual({ items: 17, sources: 1 });

      // a backup of another database, to try restoring over this one
      const other = await scratch();
      expect((await cli(["ingest", FOLLOWUP.file, "--fetched-at", FOLLOWUP.fetchedAt], other.env)).status).toBe(0);
      const good = file("other.backup");
      expect((await cli(["backup", good], other.env)).status).toBe(0);
      const bytes = readFileSync(good);
      const truncated = file("truncated.backup");
      writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.8)));
      const random = file("random.backup");
      writeFileSync(random, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251)));
      const missing = file("no-such.backup");
      const otherKind = otherKindFile(backend);

      const refusals: [args: string[], message: RegExp][] = [
        [["restore", good], new RegExp(`holds feedwerk's data already \\(17 items, 1 source\\): add --replace to replace it with ${good}`)],
        [["restore", "--replace", random], new RegExp(`^error: ${random}: not a feedwerk backup`)],
        [["restore", "--replace", missing], new RegExp(`^error: ${missing}: no such file`)],
        [["restore", "--replace", work], new RegExp(`^error: ${work}: a folder`)],
        [["restore", "--replace", truncated], new RegExp(`^error: ${truncated}: (damaged or incomplete backup|pg_restore failed .*end of file)`)],
        [
          ["restore", "--replace", otherKind],
          new RegExp(`^error: ${otherKind}: a backup of (PostgreSQL|the embedded database \\(PGlite\\)), but .+ is configured`),
        ],
      ];
      for (const [args, message] of refusals) {
        const run = await cli(args, target.env);
        expect(run.status, args.join(" ")).toBe(1);
        expect(run.stdout, args.join(" ")).toBe("");
        expect(run.stderr, args.join(" ")).toMatch(message);
      }
      const after = await withOpen(target, async (opened) => ({ held: await held(opened.db), feeds: await serve(opened.db) }));
      expect(after).toEqual(before);
      if (backend.name === "pglite") expect(readdirSync(target.env.FEEDWERK_DATA!)).toEqual(["pglite"]);

      // with --replace, the backup replaces what was there
      const replaced = await cli(["restore", "--replace", good], target.env);
      expect(replaced.stderr).toBe("");
      expect(replaced.stdout).toMatch(/: \d+ items, 1 source, \d+ tags; its schema is current\n$/);
      await withOpen(target, async (opened) => expect(await held(opened.db)).toEqual(await withOpen(other, (o) => held(o.db))));
      // the whole database is in the file: its owner's alone
      expect(statSync(good).mode & 0o777).toBe(0o600);

      if (backend.name === "postgres") {
        // a database of another application: restoring would drop its tables, so it is refused, --replace or not
        const foreign = await scratch();
        const client = postgres(foreign.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
        try {
          await client.unsafe("create table invoices (id int primary key); insert into invoices values (1)");
          for (const args of [
            ["restore", good],
            ["restore", "--replace", good],
          ]) {
            const refused = await cli(args, foreign.env);
            expect(refused.status, args.join(" ")).toBe(1);
            expect(refused.stderr).toMatch(/holds tables that are not feedwerk's \(invoices\), which restoring would drop/);
          }
          expect(await client.unsafe("select count(*)::int as n from invoices")).toEqual([{ n: 1 }]);
        } finally {
          await client.end();
        }
      }
    },
    SLOW,
  );

  it(
    "writes no backup where it cannot, and leaves a file it would have replaced as it was",
    async () => {
      const source = await scratch();
      expect((await cli(["ingest", SEED.file, "--fetched-at", SEED.fetchedAt], source.env)).status).toBe(0);
      const nowhere = join(work, "no-such-folder", "x.backup");
      const lost = await cli(["backup", nowhere], source.env);
      expect(lost.status).toBe(1);
      expect(lost.stderr).toMatch(new RegExp(`^error: ${nowhere}: no folder`));
      expect(existsSync(join(work, "no-such-folder"))).toBe(false);

      const kept = file("kept.backup");
      writeFileSync(kept, "the last good backup");
      if (backend.name === "pglite") {
        // the embedded database belongs to the process that has it open: a running server must be stopped first
        await withOpen(source, async () => {
          const busy = await cli(["backup", kept], source.env);
          expect(busy.status).toBe(1);
          expect(busy.stderr).toMatch(new RegExp(`is in use by process ${process.pid}; stop that process`));
        });
      } else {
        const url = new URL(source.env.DATABASE_URL!);
        url.password = "s3cret";
        url.pathname = "/feedwerk_no_such_database";
        const failed = await cli(["backup", kept], { DATABASE_URL: url.toString() });
        expect(failed.status).toBe(1);
        expect(failed.stderr).toMatch(/feedwerk_no_such_database/);
        expect(failed.stderr).not.toMatch(/s3cret/);
      }
      expect(readFileSync(kept, "utf8")).toBe("the last good backup");
      expect(readdirSync(work).filter((f) => f.includes("partial"))).toEqual([]);
    },
    SLOW,
  );
});

describe("the kind of a backup file", () => {
  const tar = Buffer.alloc(1024);
  tar.write("ustar", 257);
  it.each([
    ["pg_dump's custom format", Buffer.from("PGDMP\x01\x0f\x00"), "postgres"],
    ["a gzipped tar (PGlite's dumpDataDir)", gzipSync(tar), "pglite"],
    ["the head of a larger gzipped tar", gzipSync(Buffer.concat([tar, Buffer.alloc(1 << 20, 1)])).subarray(0, 600), "pglite"],
    ["a plain tar", tar, "pglite"],
    ["gzipped text", gzipSync("hello"), null],
    ["text", Buffer.from("hello"), null],
    ["nothing", Buffer.alloc(0), null],
  ])("%s", (_name, head, kind) => {
    expect(backupKind(new Uint8Array(head))).toBe(kind);
  });
});

describe("the PostgreSQL program to run", () => {
  const at = (path: string, version: string) => ({ path, version, major: Number.parseInt(version, 10) });
  it("is the server's own version, else the oldest newer one", () => {
    const found = [at("/usr/bin/pg_dump", "16.4"), at("/usr/lib/postgresql/15/bin/pg_dump", "15.2"), at("/usr/lib/postgresql/17/bin/pg_dump", "17.0")];
    expect(chooseProgram("pg_dump", found, 15).path).toBe("/usr/lib/postgresql/15/bin/pg_dump");
    expect(chooseProgram("pg_dump", found, 14).path).toBe("/usr/lib/postgresql/15/bin/pg_dump");
    expect(chooseProgram("pg_dump", found, 17).path).toBe("/usr/lib/postgresql/17/bin/pg_dump");
  });
  it("is refused when older than the server, saying which to install", () => {
    expect(() => chooseProgram("pg_dump", [at("/usr/bin/pg_dump", "13.9")], 16)).toThrow(
      /^pg_dump 13\.9 \(\/usr\/bin\/pg_dump\) is older than the server \(PostgreSQL 16\) .*apt install postgresql-client-16/,
    );
  });
  it("is missing: the error names it and says how to install it", () => {
    expect(() => chooseProgram("pg_restore", [], 15)).toThrow(/^pg_restore not found in PATH .*apt install postgresql-client-15/);
  });
  it("is pointed at the database by libpq's variables, the password not on its command line, and no inherited PG* variable", () => {
    const inherited = { PATH: "/usr/bin", PGSERVICE: "elsewhere", PGHOSTADDR: "10.0.0.9", PGPASSWORD: "old" };
    expect(libpqEnvironment("postgres://feed%40user:p%3Ass@db.example.org:6543/feed%20werk?sslmode=verify-full", inherited)).toEqual({
      PATH: "/usr/bin",
      PGHOST: "db.example.org",
      PGPORT: "6543",
      PGUSER: "feed@user",
      PGPASSWORD: "p:ss",
      PGDATABASE: "feed werk",
      PGSSLMODE: "verify-full",
    });
    expect(libpqEnvironment("postgres://u@[::1]/d?ssl=true", {})).toMatchObject({ PGHOST: "::1", PGSSLMODE: "require" });
    // query values come decoded once (a % in a password stays one); no host is localhost, as the driver reads it
    expect(libpqEnvironment("postgres:///d?user=u&password=50%2525&ssl=false", {})).toEqual({
      PGHOST: "localhost",
      PGUSER: "u",
      PGPASSWORD: "50%25",
      PGDATABASE: "d",
      PGSSLMODE: "disable",
    });
  });
});

/** The migrations' names, in order (drizzle's journal). */
function migrationTags(): string[] {
  return (JSON.parse(readFileSync(join(MIGRATIONS, "meta", "_journal.json"), "utf8")) as { entries: { tag: string }[] }).entries.map((e) => e.tag);
}
