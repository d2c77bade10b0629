/**
 * A stop that cannot finish in time: `serve --poll` on the embedded database, its polling pass stuck on a
 * database another process holds in the middle of a transaction (through the server's socket, as a command
 * would; pglite-share.ts). SIGTERM then cuts the pass once the stop's 7 s have run out, says so, closes
 * within the 3 s more it has (which hands the stuck client's transaction back, rolled back) and exits 1.
 * Nothing is half written: the folder opens again, without the stuck client's row.
 */
import { spawn } from "node:child_process";
import { createServer, type Server, type ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { sharedSocketPath } from "../src/storage/pglite-share";
import { sources } from "../src/storage/schema";
import { cli, ROOT, startCli } from "./support/cli";
import { backends } from "./support/databases";

const pglite = backends.find((b) => b.name === "pglite")!;
const held: ServerResponse[] = [];
let feedServer: Server;
let feedUrl: string;

const FEED = `<?xml version="1.0"?><rss version="2.0"><channel><title>Stuck</title><link>https://stuck.example.org/</link><description>d</description>
<item><title>Eine Meldung</title><link>https://stuck.example.org/1</link><guid>stuck-1</guid></item></channel></rss>`;

beforeAll(async () => {
  // the feed's answer waits until the test lets it go: the pass is held in its fetch until the database is taken
  feedServer = createServer((_req, res) => void held.push(res));
  await new Promise<void>((resolve) => feedServer.listen(0, "127.0.0.1", resolve));
  feedUrl = `http://127.0.0.1:${(feedServer.address() as { port: number }).port}/feed.xml`;
});
afterAll(async () => {
  for (const res of held.splice(0)) res.destroy();
  await new Promise<void>((resolve) => feedServer.close(() => resolve()));
});

describe("serve --poll stopped while its pass waits on a held database", () => {
  it("cuts the pass after 7 s, says so, and exits 1 within 10 s, the held transaction rolled back", async () => {
    const scratch = await pglite.scratch();
    try {
      const setup = await scratch.open();
      await setup.migrate();
      await setup.db.insert(sources).values({ kind: "feed", name: "stuck", url: feedUrl });
      await setup.close();

      const env: Record<string, string> = { ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1" };
      const server = startCli(["serve", "--poll", "--port", "0"], env);
      try {
        await server.waitFor(/other commands reach the embedded database/, 60_000);
        for (let waited = 0; held.length < 1 && waited < 30_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
        expect(held.length).toBe(1);

        // another process takes the database in the middle of a transaction and keeps it
        const script = `
          import postgres from "postgres";
          const sql = postgres({ path: ${JSON.stringify(sharedSocketPath(env.FEEDWERK_DATA!))}, max: 1, prepare: false, onnotice: () => {} });
          try {
            await sql.begin(async (tx) => {
              await tx\`insert into sources (kind, name, url) values ('feed', 'held', 'https://held.example.org/feed.xml')\`;
              console.log("held");
              await new Promise(() => {});
            });
          } catch (error) {
            console.log("cut: " + error.message);
          }`;
        const client = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
        let clientSaid = "";
        client.stdout!.on("data", (d) => (clientSaid += d));
        const clientExited = new Promise((resolve) => client.once("exit", resolve));
        for (let waited = 0; !clientSaid.includes("held") && waited < 30_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
        expect(clientSaid).toContain("held");

        // the feed answers: the pass goes on to store it, and waits for the database
        for (const res of held.splice(0)) res.writeHead(200, { "content-type": "application/rss+xml" }).end(FEED);
        await new Promise((r) => setTimeout(r, 1_000));

        const stopping = Date.now();
        server.child.kill("SIGTERM");
        const { status } = await server.exited;
        const took = Date.now() - stopping;
        expect(status).toBe(1);
        expect(server.output()).toMatch(/stopped after 7 s without finishing: cut the polling pass/);
        // closed within its 3 s, not ended by the last resort at 10 s
        expect(server.output()).not.toMatch(/still closing after/);
        expect(took).toBeGreaterThanOrEqual(7_000);
        // the bound a stop promises (docker stop's 10 s), with room for a busy machine's timers
        expect(took).toBeLessThan(13_000);

        // the server's going cut the client off; its transaction was rolled back
        client.kill("SIGKILL");
        await clientExited;
        const after = await scratch.open();
        try {
          const names = (await after.db.execute(sql`select name from sources order by name`)) as unknown as { name: string }[] | { rows: { name: string }[] };
          const rows = Array.isArray(names) ? names : names.rows;
          expect(rows.map((r) => r.name)).toEqual(["stuck"]);
        } finally {
          await after.close();
        }
        // and a command opens the folder itself again
        const listed = await cli(["sources", "list"], env);
        expect(listed.status).toBe(0);
        expect(listed.stdout).toMatch(/^stuck /m);
      } finally {
        server.child.kill("SIGKILL");
      }
    } finally {
      await scratch.dispose();
    }
  }, 120_000);
});
