/**
 * The command line as a user runs it: a child process, real files, a real
 * database (PGlite and PostgreSQL), exit codes and messages.
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedRow } from "../src/entry/cli/table";
import { FETCH_TABLE } from "../src/entry/cli/commands/fetch-pass";
import { countItems } from "../src/storage/queries";
import { documents } from "../src/storage/schema";
import { cliSync as cli, logMessage } from "./support/cli";
import { backends, forEachBackend } from "./support/databases";

const root = join(import.meta.dirname, "..");
const seed = readFileSync(join(root, "seeds", "000_fd0f4cb902b02a9c.txt"));
const expected = JSON.parse(readFileSync(join(import.meta.dirname, "pages", "seed-alaska.expected.json"), "utf8"));

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "feedwerk-cli-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("cli parse", () => {
  it("prints the seed's items as JSON with every field of the contract", () => {
    const run = cli(["parse", "seeds/000_fd0f4cb902b02a9c.txt", "--fetched-at", "2025-12-09T13:00:00Z"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const { items } = JSON.parse(run.stdout);
    expect(items).toHaveLength(expected.items.length);
    items.forEach((item: any, i: number) => {
      const want = expected.items[i];
      for (const key of ["kind", "kicker", "publishedAt", "agency", "dateline", "tags", "commentCount", "image"]) {
        expect(item[key], `${want.title}: ${key}`).toEqual(want[key]);
      }
      expect(item.title.replace(/\s+/gu, " ")).toBe(want.title.replace(/\s+/gu, " "));
      expect(item.summary).toContain(want.summaryContains);
      expect(item.guid).toMatch(/^urn:feedwerk:item:/);
      expect("contentHtml" in item).toBe(true);
    });
  });

  it("takes the fetch time from the page's .meta.json when none is given", () => {
    const run = cli(["parse", "seeds/000_fd0f4cb902b02a9c.txt"]);
    expect(run.status).toBe(0);
    const { items } = JSON.parse(run.stdout);
    expect(items[1].publishedAt).toBe("2025-12-09T12:57:00Z");
  });

  it("refuses a fetch time without a zone", () => {
    const run = cli(["parse", "seeds/000_fd0f4cb902b02a9c.txt", "--fetched-at", "2025-12-09 13:00"]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("--fetched-at");
  });

  it("names the file and line of a page it cannot read", () => {
    const path = join(work, "cut.txt");
    writeFileSync(path, seed.subarray(0, 4000));
    const run = cli(["parse", path]);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(new RegExp(`^error: ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+: .*truncated`));
  });
});

forEachBackend("cli ingest", (backend) => {
  it("ingests a folder, reports each page and refuses bad files one line each, writing nothing of them", async () => {
    const dir = join(work, `batch-${backend.name}`);
    mkdirSync(dir);
    copyFileSync(join(root, "seeds", "000_fd0f4cb902b02a9c.txt"), join(dir, "a-seed.txt"));
    copyFileSync(join(root, "seeds", "000_fd0f4cb902b02a9c.meta.json"), join(dir, "a-seed.meta.json"));
    copyFileSync(join(import.meta.dirname, "pages", "winter-no-image.txt"), join(dir, "b-winter.txt"));
    writeFileSync(join(dir, "c-truncated.txt"), seed.subarray(0, Math.floor(seed.length / 2)));
    writeFileSync(join(dir, "d-empty.txt"), "");
    writeFileSync(join(dir, "e-binary.jpg"), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]));
    writeFileSync(join(dir, "f-page.html"), "<!doctype html><html><body><h1>Nachrichten</h1></body></html>\n");
    writeFileSync(join(dir, "g-feed.xml"), '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>\n');
    writeFileSync(join(dir, "h-latin1.txt"), Buffer.from("Gr\xfc\xdfe aus M\xfcnchen\n", "latin1"));
    writeFileSync(join(dir, "README.md"), "# Seiten\n");
    writeFileSync(join(dir, "data.json"), "{}\n");

    const scratch = await backend.scratch();
    try {
      // a folder is read for its page files (*.txt, *.html, *.htm); the rest is skipped and counted
      const run = cli(["ingest", dir, "--fetched-at", "2026-01-15T09:00:00Z"], scratch.env);
      expect(run.status).toBe(1);
      const out = run.stdout.trim().split("\n");
      expect(out).toContain(`${join(dir, "a-seed.txt")}: 17 new, 0 updated, 0 unchanged`);
      expect(out).toContain(`${join(dir, "b-winter.txt")}: 10 new, 0 updated, 0 unchanged`);
      expect(out).toContain(
        `skipped 4 files that are not a page (*.txt, *.html, *.htm): ${join(dir, "README.md")}, ${join(dir, "data.json")}, ${join(dir, "e-binary.jpg")}, …`,
      );
      expect(out.at(-1)).toBe("ingested 2 of 6 pages: 27 new, 0 updated, 0 unchanged; 4 failed");
      const errors = run.stderr.trim().split("\n");
      const expectations: [string, RegExp][] = [
        ["c-truncated.txt", /:\d+: page ends before the tag list.*truncated/],
        ["d-empty.txt", /:1: empty file/],
        // an HTML page with a headline alone is no article
        ["f-page.html", /:1: no article found: 11 characters of text/],
        ["h-latin1.txt", /:1: not UTF-8 text/],
      ];
      expect(errors).toHaveLength(expectations.length);
      expectations.forEach(([file, pattern], i) => {
        expect(errors[i]).toContain(file);
        expect(errors[i]).toMatch(pattern);
      });

      // files named one by one are read as pages, whatever their names
      const named = cli(["ingest", ...["e-binary.jpg", "f-page.html", "g-feed.xml"].map((f) => join(dir, f))], scratch.env);
      expect(named.status).toBe(1);
      expect(named.stderr.trim().split("\n")).toEqual([
        expect.stringMatching(/e-binary\.jpg:1: binary file/),
        expect.stringMatching(/f-page\.html:1: no article found/),
        expect.stringMatching(/g-feed\.xml:1: not a news page/),
      ]);

      // a folder of nothing but pages and what is no page: exit 0, the skipped ones counted
      const clean = join(work, `clean-${backend.name}`);
      mkdirSync(clean);
      copyFileSync(join(import.meta.dirname, "pages", "winter-no-image.txt"), join(clean, "winter.txt"));
      writeFileSync(join(clean, "README.md"), "# pages\n");
      const ok = cli(["ingest", clean, "--fetched-at", "2026-01-15T09:00:00Z"], scratch.env);
      expect([ok.status, ok.stderr]).toEqual([0, ""]);
      expect(ok.stdout).toContain(`skipped 1 file that is not a page (*.txt, *.html, *.htm): ${join(clean, "README.md")}`);

      const opened = await scratch.open();
      try {
        expect(await countItems(opened.db)).toBe(27);
        expect(await opened.db.$count(documents)).toBe(2);
      } finally {
        await opened.close();
      }

      const again = cli(["ingest", join(dir, "a-seed.txt"), "--fetched-at", "2026-01-15T09:00:00Z"], scratch.env);
      expect(again.status).toBe(0);
      expect(again.stdout).toMatch(/a-seed\.txt: 0 new, 0 updated, 17 unchanged/);
    } finally {
      await scratch.dispose();
    }
  });

  it("stops at Ctrl-C before the next page, keeps the pages stored, and says how many were not read", async () => {
    const dir = join(work, `stopped-${backend.name}`);
    mkdirSync(dir);
    // enough that the pages after the first cannot all be done before the signal lands, however fast unchanged ones go
    const pages = 150;
    for (let i = 0; i < pages; i++) {
      const page = join(dir, `${String(i).padStart(3, "0")}.txt`);
      copyFileSync(join(import.meta.dirname, "pages", "winter-no-image.txt"), page);
      // fetched a minute apart (a page's time is its file's, without a .meta.json): a document each
      const at = new Date(Date.UTC(2026, 0, 15, 9, i));
      utimesSync(page, at, at);
    }
    const scratch = await backend.scratch();
    try {
      const child = spawn(process.execPath, ["--import", "tsx", join(root, "src/entry/cli/main.ts"), "ingest", dir], {
        cwd: root,
        env: { ...process.env, ...scratch.env },
      });
      let stdout = "";
      let stderr = "";
      let interrupted = false;
      child.stdout.on("data", (d) => {
        stdout += d;
        // once, when the first page is stored: the rest is still to come (a second Ctrl-C ends the process at once)
        if (!interrupted && /: \d+ new/.test(stdout)) {
          interrupted = true;
          child.kill("SIGINT");
        }
      });
      child.stderr.on("data", (d) => (stderr += d));
      // within the test's own time, so that a hung child is killed, not left behind
      const bound = setTimeout(() => child.kill("SIGKILL"), 45_000);
      const status = await new Promise((done) => child.once("close", done)).finally(() => clearTimeout(bound));
      const total = /^ingested (\d+) of 150 pages: .*; (\d+) not read$/m.exec(stdout);
      expect([status, total !== null], stdout + stderr).toEqual([130, true]);
      const [stored, notRead] = [Number(total![1]), Number(total![2])];
      expect(stored).toBeGreaterThanOrEqual(1);
      expect(stored + notRead).toBe(pages);
      expect(stderr).toBe(`error: stopped by SIGINT: ${notRead} ${notRead === 1 ? "page" : "pages"} not read\n`);
      const opened = await scratch.open();
      try {
        expect(await opened.db.$count(documents)).toBe(stored);
      } finally {
        await opened.close();
      }
    } finally {
      await scratch.dispose();
    }
  });
});

describe("cli errors", () => {
  const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

  it("lists every command in the program's help, whatever follows the help flag, though a command loads only its own group", () => {
    const commands = (stdout: string) => [...stdout.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]).sort();
    const whole = cli(["--help"]);
    expect(whole.status).toBe(0);
    expect(commands(whole.stdout)).toEqual(expect.arrayContaining(["fetch", "ingest", "items", "migrate", "parse", "prune", "serve", "sources", "start"]));
    for (const args of [
      ["--help", "fetch"],
      ["-h", "fetch"],
    ])
      expect(commands(cli(args).stdout)).toEqual(commands(whole.stdout));
    const fetchHelp = cli(["fetch", "--help"]);
    expect([fetchHelp.status, fetchHelp.stdout]).toEqual([0, expect.stringMatching(/^Usage: feedwerk fetch/)]);
  });

  it("names a folder or a missing file given to parse, in words", () => {
    const dir = cli(["parse", work]);
    expect([dir.status, dir.stderr]).toEqual([1, `error: ${work}: is a folder, not a file\n`]);
    const missing = cli(["parse", join(work, "nope.txt")]);
    expect([missing.status, missing.stderr]).toEqual([1, `error: ${join(work, "nope.txt")}: no such file or folder\n`]);
  });

  it("names a malformed sidecar .meta.json, its line and the whole reason", () => {
    const dir = join(work, "sidecars");
    mkdirSync(dir);
    writeFileSync(join(dir, "page.txt"), seed);
    writeFileSync(join(dir, "page.meta.json"), '{\n  "fetchedAt": 2025-12-09T13:00:00Z\n}\n');
    const broken = cli(["parse", join(dir, "page.txt")]);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(new RegExp(`^error: ${escaped(join(dir, "page.meta.json"))}:2: not JSON: .+ \\(column \\d+\\)\n$`));
    writeFileSync(join(dir, "page.meta.json"), '{\n  "fetchedAt": "9. Dezember 2025"\n}\n');
    const wrong = cli(["parse", join(dir, "page.txt")]);
    expect(wrong.stderr).toBe(`error: ${join(dir, "page.meta.json")}:2: "fetchedAt" must be an ISO 8601 time with a zone, like 2025-12-09T13:00:00Z\n`);
  });

  it("checks the environment at start, one line per wrong variable, and exits non-zero", () => {
    const run = cli(["migrate"], {
      DATABASE_URL: "mysql://feeds:secret@db.example/feeds",
      PORT: "80a",
      FEEDWERK_ADMIN_TOKEN: "short",
      FEEDWERK_PUBLIC_URL: "feeds.example.org",
      FEEDWERK_HUB_URL: "",
      FEEDWERK_LEASE_SECONDS: "5m",
    });
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split("\n");
    expect(lines).toEqual([
      expect.stringMatching(/^error: DATABASE_URL: must be a PostgreSQL URL, postgres:\/\/.* got a mysql: URL$/),
      "error: PORT: must be a port number from 0 to 65535, got '80a'",
      "error: FEEDWERK_PUBLIC_URL: must be an absolute http(s) URL like https://feeds.example.org, got 'feeds.example.org'",
      "error: FEEDWERK_ADMIN_TOKEN: must be at least 16 characters, has 5 (try: openssl rand -hex 24)",
      "error: FEEDWERK_LEASE_SECONDS: must be a number of seconds from 1 to 86400, got '5m'",
    ]);
    expect(run.stderr).not.toContain("secret");
    // an allow-list the fetcher could not build is refused at start, not at the first fetch
    const allowed = cli(["sources", "list"], { FEEDWERK_ALLOWED_HOSTS: "127.0.0.1,10.0.0.0/99,999.1.1.1" });
    expect([allowed.status, allowed.stderr.trim().split("\n")]).toEqual([
      1,
      [
        "error: FEEDWERK_ALLOWED_HOSTS: must list host names, addresses and CIDR ranges separated by commas: '10.0.0.0/99': the prefix length must be 0 to 32",
        "error: FEEDWERK_ALLOWED_HOSTS: must list host names, addresses and CIDR ranges separated by commas: '999.1.1.1' is not an IPv4 address",
      ],
    ]);
    // a URL that cannot be read cannot be redacted: nothing of it is shown but its scheme
    const unreadable = cli(["migrate"], { DATABASE_URL: "postgres://feedwerk:s3cr/et@db.internal:5432/feedwerk" });
    expect([unreadable.status, unreadable.stderr]).toEqual([
      1,
      expect.stringMatching(/^error: DATABASE_URL: .*, got a postgres: URL that does not parse \(.*\)\n$/),
    ]);
    // what is wrong is said, the value is not: a port out of range, no host, a bad %-escape the driver would choke on
    for (const [url, fault] of [
      ["postgres://feedwerk:s3cret@db.internal:99999/feedwerk", "that does not parse"],
      ["postgres://", "without a host"],
      ["postgresql:///feedwerk?password=s3cret", "without a host"],
      ["postgres://feedwerk:s3cret%zz@db.internal:5432/feedwerk", "with a bad %-escape"],
    ]) {
      const run = cli(["migrate"], { DATABASE_URL: url! });
      expect([run.status, run.stderr], url).toEqual([
        1,
        expect.stringMatching(new RegExp(`^error: DATABASE_URL: must be a PostgreSQL URL, .*, got a postgres(ql)?: URL ${fault}`)),
      ]);
      expect(run.stderr).not.toContain("s3cret");
    }
    const hub = cli(["migrate"], { FEEDWERK_HUB_URL: "https://hub.example.org/", FEEDWERK_PUBLIC_URL: "" });
    expect([hub.status, hub.stderr]).toEqual([1, "error: FEEDWERK_HUB_URL: needs FEEDWERK_PUBLIC_URL: the hub fetches the feeds at their public address\n"]);
    const host = cli(["serve"], { HOST: "not a host" });
    expect([host.status, host.stderr]).toEqual([1, "error: HOST: must be an address to listen on, like 127.0.0.1, 0.0.0.0 or ::, got 'not a host'\n"]);
  });
});

describe("cli serve", () => {
  /** Starts `serve`, waits for its startup line, stops it. */
  async function startupLine(args: string[], env: Record<string, string>): Promise<string> {
    const child = spawn(process.execPath, ["--import", "tsx", join(root, "src/entry/cli/main.ts"), ...args], { cwd: root, env: { ...process.env, ...env } });
    const exited = new Promise((done) => child.once("close", done));
    try {
      return await new Promise<string>((resolve, reject) => {
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => {
          out += d;
          if (out.includes("\n")) resolve(logMessage(out.split("\n")[0]!));
        });
        child.stderr.on("data", (d) => (err += d));
        child.on("close", (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
      });
    } finally {
      child.kill("SIGINT");
      await exited;
    }
  }

  it("listens on 127.0.0.1 unless told otherwise, and names the address it bound", async () => {
    const scratch = await backends[0]!.scratch();
    try {
      const local = await startupLine(["serve", "--port", "0"], { ...scratch.env, HOST: "" });
      expect(local).toMatch(/ at http:\/\/127\.0\.0\.1:\d+$/);
      const port = Number(/:(\d+)$/.exec(local)![1]);
      expect(port).toBeGreaterThan(0);
      const every = await startupLine(["serve", "--port", "0", "--host", "0.0.0.0"], scratch.env);
      expect(every).toMatch(/ at http:\/\/0\.0\.0\.0:\d+ \(every interface\)$/);
      const fromEnv = await startupLine(["serve", "--port", "0"], { ...scratch.env, HOST: "::1" });
      expect(fromEnv).toMatch(/ at http:\/\/\[::1\]:\d+$/);
    } finally {
      await scratch.dispose();
    }
  });
});

describe("npm's scripts", () => {
  it("stop the server when npm is told to stop (as `docker stop` tells the first process), leaving no server behind", async () => {
    const scratch = await backends[0]!.scratch();
    const npm = spawn("npm", ["run", "--silent", "cli", "--", "serve", "--port", "0"], { cwd: root, env: { ...process.env, ...scratch.env, HOST: "" } });
    const exited = new Promise((done) => npm.once("exit", done));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        npm.stdout.on("data", (d) => {
          out += d;
          if (out.includes("\n")) resolve(logMessage(out.split("\n")[0]!));
        });
        npm.on("close", (code) => reject(new Error(`npm exited with ${code}`)));
      });
      const url = /(http:\/\/127\.0\.0\.1:\d+)$/.exec(line)![1]!;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      npm.kill("SIGTERM");
      await exited;
      // the server was npm's script: it stops with npm, and gives up its port and the data folder
      let answering = true;
      for (let i = 0; i < 100 && answering; i++) {
        answering = await fetch(`${url}/healthz`).then(
          () => true,
          () => false,
        );
        if (answering) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(answering).toBe(false);
    } finally {
      npm.kill("SIGKILL");
      await scratch.dispose();
    }
  });
});

describe("the embedded database", () => {
  it("is refused to a second process while one has it open", async () => {
    const scratch = await backends[0]!.scratch();
    const opened = await scratch.open();
    try {
      const run = cli(["migrate"], scratch.env);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/is in use by process \d+/);
    } finally {
      await opened.close();
      await scratch.dispose();
    }
  });

  it("names a folder it cannot make in one line, where Node's own recursive mkdir would spin forever (procfs)", () => {
    const file = join(work, "a-file");
    writeFileSync(file, "");
    const dangling = join(work, "a-dangling-link");
    symlinkSync(join(work, "gone"), dangling);
    const cases = [
      ["/proc/feedwerk-data/db", "no folder can be made there"],
      [join(file, "db"), "a file stands where the folder should be"],
      [dangling, "a link to nothing stands where the folder should be"],
    ] as const;
    for (const [dir, why] of cases) {
      const run = cli(["migrate"], { DATABASE_URL: "", FEEDWERK_DATA: dir });
      expect([run.status, run.stderr.trim()]).toEqual([1, `error: ${dir}: cannot hold the embedded database (FEEDWERK_DATA): ${why}`]);
    }
    const made = join(work, "deep", "er", "data");
    expect(cli(["migrate"], { DATABASE_URL: "", FEEDWERK_DATA: made }).status).toBe(0);
  });
});

describe("the fetch table", () => {
  const { head, widths } = FETCH_TABLE;
  /** Where each column of a line starts: after the widths before it and two spaces each. */
  const columnStarts = [0];
  for (const w of widths) columnStarts.push(columnStarts.at(-1)! + w + 2);
  const starts = (line: string) => [...line.matchAll(/(?:^|\s\s)(\S)/g)].map((m) => m.index! + m[0].length - 1);

  it("keeps every column where the head put it, whatever the length of a feed's name or a failure", () => {
    const rows = [
      head,
      ["https://www.example.org/news/deutschland/politik/feed.rss", "stored", "50", "0", "0", "2026-11-26T07:17:50Z"],
      ["kurz", "failed: HTTP 404 Not Found from https://www.example.org/gone", "-", "-", "-", "2026-11-26T07:32:50Z"],
      ["Nachrichten 📰📰📰📰📰📰📰📰📰📰📰📰📰📰📰📰📰📰📰📰📰📰📰📰📰📰📰📰📰📰📰📰📰", "stored", "1", "0", "0", "2026-11-26T07:32:50Z"],
    ].map((row) => fixedRow(row, widths));
    for (const line of rows.slice(0, 3)) expect(starts(line), line).toEqual(columnStarts);
    // the name keeps its end, what tells feeds of one site apart
    expect(rows[1]!.slice(0, widths[0])).toBe("https://www.example…d/politik/feed.rss");
    // a failure says its status before the cut
    expect(rows[2]!.slice(columnStarts[1], columnStarts[2]! - 2)).toBe("failed: HTTP 404 Not …");
    // a cut falls between characters: no half of a surrogate pair is left (wide characters still take two
    // places in a terminal: such a name pushes its row on)
    expect(rows[3]).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });

  it("cuts between characters as a reader sees them: a flag, or a letter and its combining accent, is one", () => {
    const flags = fixedRow([`Länder ${"🇩🇪🇦🇹🇨🇭".repeat(20)}`, "stored", "1", "0", "0", "2026-11-26T07:17:50Z"], widths);
    const name = flags.split("  ")[0]!;
    for (const part of name.split("…")) expect([...part.matchAll(/[\u{1F1E6}-\u{1F1FF}]/gu)].length % 2, part).toBe(0);
    // "Zürich" with a combining diaeresis: six characters in seven code units, padded as six
    const zurich = fixedRow(["Zu\u0308rich", "stored", "1", "0", "0", "2026-11-26T07:17:50Z"], widths);
    expect(zurich.indexOf("stored")).toBe(widths[0]! + 2 + 1);
  });

  it("never cuts a count", () => {
    const line = fixedRow(["feed", "stored", "1234567", "0", "0", "2026-11-26T07:17:50Z"], widths);
    expect(line.split(/\s+/).slice(2, 5)).toEqual(["1234567", "0", "0"]);
  });
});
