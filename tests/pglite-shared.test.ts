/**
 * The embedded database shared while a server holds it (storage/pglite-share.ts): the commands run meanwhile
 * work through the server's socket, the server keeps answering while they do, a client killed in the middle
 * of its transaction leaves nothing of it behind and hands the database back, and what must have the folder
 * to itself (a second server, backup, restore) is refused with a line that says why. Real processes throughout.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { basename, join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedSocketPath } from "../src/storage/pglite-share";
import { cli, ROOT, startCli, type RunningCli } from "./support/cli";
import { backends, type Scratch } from "./support/databases";

const pglite = backends.find((b) => b.name === "pglite")!;

let feedServer: Server;
let feedUrl: string;
let scratch: Scratch;
let server: RunningCli;
let base: string;
let env: Record<string, string>;

const FEED = `<?xml version="1.0"?><rss version="2.0"><channel><title>Shared</title><link>https://shared.example.org/</link><description>d</description>
<item><title>Eine Meldung über den geteilten Speicher</title><link>https://shared.example.org/1</link><guid>shared-1</guid><pubDate>Sun, 06 Dec 2026 10:00:00 GMT</pubDate></item>
</channel></rss>`;

beforeAll(async () => {
  feedServer = createServer((_req, res) => res.writeHead(200, { "content-type": "application/rss+xml" }).end(FEED));
  await new Promise<void>((resolve) => feedServer.listen(0, "127.0.0.1", resolve));
  feedUrl = `http://127.0.0.1:${(feedServer.address() as { port: number }).port}/feed.xml`;
  scratch = await pglite.scratch();
  env = { ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1" };
  // a backup of the empty database, for the restore refused below
  expect((await cli(["migrate"], env)).status).toBe(0);
  expect((await cli(["backup", backupFile()], env)).status).toBe(0);
  server = startCli(["serve", "--port", "0"], env);
  base = (await server.waitFor(/ at (http:\/\/127\.0\.0\.1:\d+)/, 60_000))[1]!;
  // offered once the server has prepared the database
  await server.waitFor(/other commands reach the embedded database through .*feedwerk\.sock while this runs/, 30_000);
}, 90_000);

afterAll(async () => {
  server?.child.kill("SIGKILL");
  await server?.exited;
  await scratch?.dispose();
  if (env) rmSync(backupFile(), { force: true });
  await new Promise<void>((resolve) => feedServer.close(() => resolve()));
});

const backupFile = () => join(env.FEEDWERK_DATA!, "..", `${env.FEEDWERK_DATA!.split("/").pop()}.backup`);

const feedJson = async (tag: string) => {
  const res = await fetch(`${base}/feeds/${tag}.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as { items: { title: string }[] };
};

describe("commands while a server holds the embedded database", () => {
  it("offers it on a socket in the data folder, and says so", async () => {
    expect(server.output()).toMatch(/other commands reach the embedded database through .*feedwerk\.sock while this runs/);
    expect(existsSync(sharedSocketPath(env.FEEDWERK_DATA!))).toBe(true);
  });

  it("sources add, sources list, ingest and fetch work, and the server answers throughout and serves what they stored", async () => {
    // the server answers requests all along: none of them fails
    let answering = true;
    const statuses: number[] = [];
    const load = (async () => {
      while (answering) {
        const res = await fetch(`${base}/feeds/ukraine.json?n=${statuses.length}`);
        await res.arrayBuffer();
        statuses.push(res.status);
      }
    })();
    try {
      const added = await cli(["sources", "add", feedUrl, "--name", "shared", "--tag", "geteilt"], env);
      expect(added.stderr).toBe("");
      expect(added.status).toBe(0);

      const listed = await cli(["sources", "list"], env);
      expect(listed.status).toBe(0);
      expect(listed.stdout).toMatch(new RegExp(`^shared +${feedUrl.replace(/[.?]/g, "\\$&")} `, "m"));

      const ingested = await cli(["ingest", join(ROOT, "seeds")], env);
      expect(ingested.status).toBe(0);
      expect(ingested.stdout).toMatch(/ingested 1 of 1 page: (\d+) new/);

      const fetched = await cli(["fetch", "--all"], env);
      expect(fetched.status).toBe(0);
      expect(fetched.stdout).toMatch(/1 of 1 feed read/);
    } finally {
      answering = false;
      await load;
    }
    expect(statuses.length).toBeGreaterThan(0);
    // not found until the seed page's stories are in, then found; never an error
    expect(statuses.filter((s) => s !== 200 && s !== 404)).toEqual([]);
    expect(statuses.at(-1)).toBe(200);

    // what the commands stored, the server publishes
    expect((await feedJson("ukraine")).items.length).toBeGreaterThan(0);
    expect((await feedJson("geteilt")).items.map((i) => i.title)).toEqual(["Eine Meldung über den geteilten Speicher"]);
  }, 180_000);

  it("rolls back the transaction of a client killed in the middle of it, and the server goes on", async () => {
    // a client holding a transaction open: the server's requests wait for it (one session), until it is gone
    const socket = sharedSocketPath(env.FEEDWERK_DATA!);
    const script = `
      import postgres from "postgres";
      const sql = postgres({ path: ${JSON.stringify(socket)}, max: 1, prepare: false, onnotice: () => {} });
      await sql.begin(async (tx) => {
        await tx\`insert into sources (kind, name, url) values ('feed', 'half-done', 'https://half.example.org/feed.xml')\`;
        console.log("held");
        await new Promise(() => {});
      });`;
    const client = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      client.stdout!.on("data", (d) => String(d).includes("held") && resolve());
      client.on("exit", (code) => reject(new Error(`client exited ${code}`)));
    });
    let answered = false;
    const request = fetch(`${base}/feeds/ukraine.atom?cold=1`).then(async (res) => {
      answered = true;
      return res.status;
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(answered).toBe(false);
    client.kill("SIGKILL");
    expect(await request).toBe(200);

    const listed = await cli(["sources", "list"], env);
    expect(listed.status).toBe(0);
    expect(listed.stdout).not.toMatch(/half-done/);
    expect(listed.stdout).toMatch(/^shared /m);
  }, 60_000);

  it("refuses a command whose version has migrations the server has not applied", async () => {
    // the server's schema one migration behind this version's, as under a server of an older version
    const sql = postgres({ path: sharedSocketPath(env.FEEDWERK_DATA!), max: 1, prepare: false, onnotice: () => {} });
    try {
      const [last] = await sql`select id, hash, created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`;
      await sql`delete from drizzle.__drizzle_migrations where id = ${last!.id}`;
      try {
        const run = await cli(["sources", "list"], env);
        expect(run.status).toBe(1);
        expect(run.stderr).toMatch(/held by a feedwerk server of an older version \(process \d+\), without this version's migrations: stop it/);
      } finally {
        await sql`insert into drizzle.__drizzle_migrations (id, hash, created_at) values (${last!.id}, ${last!.hash}, ${last!.created_at})`;
      }
      expect((await cli(["sources", "list"], env)).status).toBe(0);
    } finally {
      await sql.end({ timeout: 1 });
    }
  }, 60_000);

  it("refuses a second server, a backup and a restore, naming the server", async () => {
    for (const args of [
      ["serve", "--port", "0"],
      ["backup", join(env.FEEDWERK_DATA!, "..", "never.backup")],
      ["restore", backupFile(), "--replace"],
    ]) {
      const run = await cli(args, env);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/is held by the feedwerk server running as process \d+; stop it first/);
    }
  }, 60_000);

  it("lets go of the socket when the server stops, and the commands open the folder themselves again", async () => {
    server.child.kill("SIGTERM");
    expect((await server.exited).status).toBe(0);
    expect(existsSync(sharedSocketPath(env.FEEDWERK_DATA!))).toBe(false);
    const listed = await cli(["sources", "list"], env);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/^shared /m);
  }, 60_000);
});

describe("a data folder whose path is too long for a Unix socket", () => {
  it("is served without sharing, says why, and leaves no socket anywhere", async () => {
    const scratch = await pglite.scratch();
    // the data folder deeper inside the scratch one, so that the socket's path is past what sun_path holds
    const deep = join(scratch.env.FEEDWERK_DATA!, "d".repeat(Math.max(1, 112 - scratch.env.FEEDWERK_DATA!.length)));
    const longEnv = { ...scratch.env, FEEDWERK_DATA: deep };
    const parent = join(deep, "..");
    const before = readdirSync(parent);
    const running = startCli(["serve", "--port", "0"], longEnv);
    try {
      await running.waitFor(/other commands cannot reach the embedded database while this runs: .*too long for a Unix socket/, 60_000);
      expect(readdirSync(parent).filter((f) => !before.includes(f) && f !== basename(deep))).toEqual([]);
      expect(readdirSync(deep)).not.toContain("feedwerk.sock");
      const listed = await cli(["sources", "list"], longEnv);
      expect(listed.status).toBe(1);
      expect(listed.stderr).toMatch(/is in use by process \d+/);
      running.child.kill("SIGTERM");
      expect((await running.exited).status).toBe(0);
    } finally {
      running.child.kill("SIGKILL");
      await scratch.dispose();
    }
  }, 90_000);
});
