/**
 * Topics from the command line, as a person uses it, on both backends:
 * `tags list`, `match`, `rename`, `merge` and `remove`; topics and global
 * rules in the sources file with `sources apply --dry-run` first; OPML
 * import adding tags rather than replacing them; the OPML export naming
 * feeds by their titles; `--version`; and commands whose reader closes the
 * pipe early (`| head`), which end quietly.
 */
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, ROOT } from "./support/cli";
import { forEachBackend } from "./support/databases";

/** A feed of many entries with a title of its own, and a second one: served from this machine. */
const BIG = `<?xml version="1.0"?><rss version="2.0"><channel><title>Stadtblatt &amp; Umland</title><link>https://stadt.example/</link><description>d</description>${Array.from(
  { length: 300 },
  (_, n) =>
    `<item><title>Meldung ${n} aus der Stadt</title><link>https://stadt.example/${n}</link><pubDate>${new Date(Date.UTC(2025, 11, 1) + n * 60_000).toUTCString()}</pubDate><description>${"Ein langer Text über die Stadt. ".repeat(8)}</description></item>`,
).join("")}</channel></rss>`;

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/stadt.xml") return res.writeHead(200, { "content-type": "application/rss+xml" }).end(BIG);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A command's output piped into another that stops reading early, as a shell runs `feedwerk … | head`. */
function piped(args: string[], into: string, env: Record<string, string>) {
  const command = `${JSON.stringify(process.execPath)} --import tsx src/entry/cli/main.ts ${args.map((a) => `'${a}'`).join(" ")} | ${into}; echo "status \${PIPESTATUS[0]}" >&2`;
  return spawnSync("bash", ["-c", command], { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8", timeout: 60_000 });
}

forEachBackend("tags from the command line", (backend) => {
  let env: Record<string, string>;
  let dispose: () => Promise<void>;
  let dir: string;
  beforeAll(async () => {
    const scratch = await backend.scratch();
    env = { ...scratch.env, FEEDWERK_ALLOWED_HOSTS: "127.0.0.1" };
    dispose = scratch.dispose;
    dir = mkdtempSync(join(tmpdir(), "feedwerk-tags-"));
    const ingested = await cli(["ingest", "seeds/", "--fetched-at", "2025-12-09T13:00:00Z"], env);
    expect(ingested.status).toBe(0);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await dispose?.();
  });

  it("lists every tag with its stories, how it gains them, where it comes from and who names it", async () => {
    const listed = await cli(["tags", "list"], env);
    expect(listed.status).toBe(0);
    const lines = listed.stdout.split("\n");
    expect(lines[0]).toMatch(/^tag\s+label\s+stories\s+match\s+from\s+sources$/);
    expect(lines.find((l) => l.startsWith("ukraine "))).toMatch(/^ukraine\s+Ukraine\s+2\s+words\s+portal\s+portal$/);
  });

  it("shows what a sources file's topics and rules would change with --dry-run, then changes it", async () => {
    const file = join(dir, "topics.json");
    writeFileSync(
      file,
      JSON.stringify({
        tags: {
          "Ukraine-Krieg": { match: "rules", include: ["Selenskyj", "Putin", { pattern: "ukrain", in: "title" }], exclude: [{ pattern: "korruption" }] },
        },
        rules: { drop: [{ pattern: "^Kostenloses Stock Foto", in: "title" }] },
      }),
    );
    const dry = await cli(["sources", "apply", file, "--dry-run"], env);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain("tag ukraine-krieg: would be created; 1 story would be added, 0 would be removed");
    expect(dry.stdout).toContain("  + Ukraine-Verhandlungen in Alaska? Trump will Putin empfangen");
    expect(dry.stdout).toContain("rules: the drop rules would be 1 in place of 0; 1 story would be dropped, 0 would be shown again");
    expect(dry.stdout).toMatch(/^ {2}- Kostenloses Stock Foto/m);
    expect(dry.stdout).toContain(`${file}: dry run, nothing changed: no sources listed`);
    expect((await cli(["tags", "list"], env)).stdout).not.toContain("ukraine-krieg");

    const done = await cli(["sources", "apply", file], env);
    expect([done.status, done.stderr]).toEqual([0, ""]);
    expect(done.stdout).toContain("tag ukraine-krieg: created; 1 story added, 0 removed");
    const listed = (await cli(["tags", "list"], env)).stdout;
    expect(listed).toMatch(/^ukraine-krieg\s+Ukraine-Krieg\s+1\s+rules\s+person/m);
    expect(listed).toContain("ukraine-krieg: include /ukrain/ in title");
    expect(listed).toContain("ukraine-krieg: exclude /korruption/");
    expect(listed).toContain("drop /^Kostenloses Stock Foto/ in title");
    // the same file again changes nothing
    expect((await cli(["sources", "apply", file], env)).stdout).not.toContain("tag ukraine-krieg");
  });

  it("refuses a sources file with a broken rule, naming the file and the place, and changes nothing", async () => {
    const file = join(dir, "broken.json");
    writeFileSync(file, JSON.stringify({ tags: { Wetter: { include: [{ pattern: "(?<=Regen)" }] }, Sport: { match: "words", include: ["Tor"] } } }));
    const run = await cli(["sources", "apply", file], env);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`error: ${file}: tags.Wetter.include[0]: pattern '(?<=Regen)'`);
    expect(run.stderr).toContain(`error: ${file}: tags.Sport.include: include rules need "match": "rules"`);
    expect((await cli(["tags", "list"], env)).stdout).not.toMatch(/^wetter /m);
  });

  it("checks a file's topics against the tags as they are before changing anything, and names the file and the place", async () => {
    const file = join(dir, "words-with-include.json");
    writeFileSync(
      file,
      JSON.stringify({ sources: [{ url: "https://never.example/feed.xml" }], tags: { Krieg: { include: ["Waffenruhe"] } }, rules: { drop: ["Selenskyj"] } }),
    );
    const run = await cli(["sources", "apply", file], env);
    expect([run.status, run.stdout]).toEqual([1, ""]);
    expect(run.stderr).toBe(
      `error: ${file}: tags.Krieg.include: include rules need "match": "rules"; the tag matches by "words": say "match": "rules" with them\n`,
    );
    expect((await cli(["sources", "list"], env)).stdout).not.toContain("never.example");
    expect((await cli(["tags", "list"], env)).stdout).not.toContain('drop "Selenskyj"');
  });

  it("says in a dry run that the global rules would change, though no story moves", async () => {
    const file = join(dir, "drop-nothing.json");
    writeFileSync(file, JSON.stringify({ rules: { drop: ["Diesen Titel gibt es nicht"] } }));
    const dry = await cli(["sources", "apply", file, "--dry-run"], env);
    expect(dry.stdout).toMatch(/^rules: the drop rules would be 1 in place of \d+; 0 stories would be dropped, \d+ would be shown again$/m);
  });

  it("changes how a tag gains stories, renames, merges and removes tags", async () => {
    const dry = await cli(["tags", "match", "regierung", "explicit", "--dry-run"], env);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toMatch(/^tag regierung: 0 stories would be added, \d+ would be removed/m);
    const same = await cli(["tags", "match", "regierung", "words"], env);
    expect([same.status, same.stdout]).toEqual([0, "regierung matches by words already: nothing to change\n"]);

    const renamed = await cli(["tags", "rename", "ukraine", "Ukraine aktuell"], env);
    expect([renamed.status, renamed.stdout]).toEqual([
      0,
      "renamed ukraine to ukraine-aktuell (2 stories); /feeds/ukraine.xml redirects to /feeds/ukraine-aktuell.xml\n",
    ]);
    const merged = await cli(["tags", "merge", "Krieg", "ukraine-aktuell"], env);
    expect(merged.status).toBe(0);
    expect(merged.stdout).toMatch(/^merged krieg into ukraine-aktuell: \d+ of its \d+ stor(y|ies) (is|are) in ukraine-aktuell; \/feeds\/krieg\.xml redirects/);
    const removed = await cli(["tags", "remove", "USA"], env);
    expect([removed.status, removed.stdout]).toEqual([0, "removed tag usa (1 story stays, without it); its feeds answer 410 Gone\n"]);

    const listed = (await cli(["tags", "list"], env)).stdout;
    expect(listed).toContain("ukraine-aktuell: also known as krieg, ukraine");
    expect(listed).toContain("removed (their feeds answer 410 Gone): usa");
    expect(listed).not.toMatch(/^usa /m);

    const missing = await cli(["tags", "rename", "ukraine", "Wieder anders"], env);
    expect([missing.status, missing.stderr]).toEqual([1, "error: ukraine: no such tag; it was renamed or merged into 'ukraine-aktuell'\n"]);
    const taken = await cli(["tags", "rename", "konflikte", "Ukraine aktuell"], env);
    expect(taken.stderr).toContain("a tag 'ukraine-aktuell' exists already; 'tags merge konflikte ukraine-aktuell' joins the two");
  });

  it("adds an OPML file's folders to a followed feed's tags, replaces them with --replace-tags, and exports feeds by their titles", async () => {
    const url = `${base}/stadt.xml`;
    expect((await cli(["sources", "add", url, "--tag", "Lokales"], env)).status).toBe(0);
    // a person's tag is there before the feed is first fetched
    expect((await cli(["tags", "list"], env)).stdout).toMatch(/^lokales\s+Lokales\s+0\s+explicit\s+person\s+http/m);
    const fetched = await cli(["fetch"], env);
    expect(fetched.stdout).toContain("1 of 1 feed read");

    const opml = join(dir, "reader.opml");
    writeFileSync(
      opml,
      `<?xml version="1.0"?><opml version="2.0"><head/><body><outline text="Stadt"><outline type="rss" text="S" xmlUrl="${url}"/></outline></body></opml>`,
    );
    const added = await cli(["sources", "import", opml], env);
    expect(added.stdout).toContain(`tags for ${url}: added Stadt; kept Lokales`);
    expect((await cli(["sources", "import", opml], env)).stdout).toContain(`already followed: ${url} (tags: Lokales, Stadt)`);
    const replaced = await cli(["sources", "import", opml, "--replace-tags"], env);
    expect(replaced.stdout).toContain(`tags for ${url}: kept Stadt; replaced Lokales`);
    // a feed a reader files in two folders has both as its tags, replaced or not, and counts once
    const twice = join(dir, "twice.opml");
    writeFileSync(
      twice,
      `<?xml version="1.0"?><opml version="2.0"><head/><body><outline text="Stadt"><outline type="rss" text="S" xmlUrl="${url}"/></outline><outline text="Region"><outline type="rss" text="S" xmlUrl="${url}"/></outline></body></opml>`,
    );
    const both = await cli(["sources", "import", twice, "--replace-tags"], env);
    expect(both.stdout).toContain(`tags for ${url}: added Region; kept Stadt`);
    expect(both.stdout).toContain("imported 0 of 1 feed from");

    const exported = await cli(["sources", "export"], env);
    expect(exported.stdout).toContain(`text="Stadtblatt &amp; Umland" title="Stadtblatt &amp; Umland" xmlUrl="${url}" category="Stadt,Region"`);
    expect(exported.stdout.endsWith("</opml>\n")).toBe(true);
  });

  it("ends quietly when the reader of its output closes the pipe early", async () => {
    const url = `${base}/stadt.xml`;
    for (const [args, into] of [
      [["items", "--source", url], "head -1"],
      [["items", "--source", url, "--json"], "head -c 100"],
      [["tags", "list"], "head -1"],
      [["sources", "list"], "head -1"],
    ] as const) {
      const run = piped([...args], into, env);
      expect(run.stderr, args.join(" ")).toBe("status 0\n");
      expect(run.stdout.length, args.join(" ")).toBeGreaterThan(0);
    }
  });
});

describe("the program", () => {
  it("says its version", async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const run = await cli([flag]);
      expect([run.status, run.stdout]).toEqual([0, `${version}\n`]);
    }
  });
});
