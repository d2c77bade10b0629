#!/usr/bin/env node
/**
 * feedwerk's command line. It only wires: the commands live in
 * src/entry/cli/commands, one module per group, each a thin layer over the
 * input, pipeline, storage and publish modules; here the program, the
 * environment check before a command, and how an error ends the process.
 *
 * Only the group of the command being run is loaded: loading a module costs
 * time at every start (more under tsx), and `fetch` has no use for the
 * server, the publishing app or the embedded database that other groups
 * bring. Help, and a name that is no command, load every group, so that
 * both list all commands as before.
 */
import { existsSync, readFileSync } from "node:fs";
import { Command } from "commander";
import { packageFile } from "../../storage/package-root";

type Group = (program: Command) => void;

/** Each group by the names of its commands, in the order of the help's command list. */
const GROUPS: [names: string[], load: () => Promise<Group>][] = [
  [["parse", "ingest"], () => import("./commands/pages").then((m) => m.addPageCommands)],
  [["migrate", "serve", "start"], () => import("./commands/serve").then((m) => m.addServeCommands)],
  [["sources"], () => import("./commands/sources").then((m) => m.addSourceCommands)],
  [["tags"], () => import("./commands/tags").then((m) => m.addTagCommands)],
  [["fetch", "items"], () => import("./commands/feeds").then((m) => m.addFeedCommands)],
  [["prune"], () => import("./commands/prune").then((m) => m.addPruneCommand)],
  [["backup", "restore"], () => import("./commands/backup").then((m) => m.addBackupCommands)],
];

const { version } = JSON.parse(readFileSync(packageFile("package.json"), "utf8")) as { version: string };

const program = new Command()
  .name("feedwerk")
  .description("Turns news pages into per-tag RSS, Atom and JSON feeds.")
  .version(version, "-V, --version", "print feedwerk's version")
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) })
  // the environment is checked before any command but parse, which reads none of it, does anything
  .hook("preAction", async (_program, command) => {
    if (command.name() !== "parse") (await import("../config")).readConfig();
  });

// A reader that stops reading (`items | head`, `sources list | head -1`) closes the pipe: the rest of the output
// goes nowhere, quietly, and the command finishes what it is doing (a document being stored is stored whole).
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
    stream.write = ((_chunk: unknown, ...rest: unknown[]) => {
      const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      done?.();
      return true;
    }) as typeof stream.write;
  });
}

// The program has no options of its own that take a value: its first word names the command. An option
// before it (`--help fetch`, a misspelt flag) is the program's, whose help lists every group's commands.
const first = process.argv[2];
const named = first !== undefined && !first.startsWith("-") ? first : undefined;
const wanted = GROUPS.filter(([names]) => named !== undefined && names.includes(named));

main().catch(async (error: unknown) => {
  const [{ ConfigError }, { failureLine }] = await Promise.all([import("../config"), import("./failures")]);
  const lines = error instanceof ConfigError ? error.problems : [failureLine(error)];
  for (const line of lines) console.error(`error: ${line}`);
  process.exitCode = 1;
});

async function main(): Promise<void> {
  // a .env file in the current folder sets what the environment does not (the environment wins), checked as it is
  if (existsSync(".env")) {
    try {
      process.loadEnvFile(".env");
    } catch (error) {
      throw new Error(`.env: ${(error as Error).message}`);
    }
  }
  // the version alone needs no command: said before any group is loaded (what a service manager's check runs)
  const onlyVersion = process.argv.length === 3 && (first === "--version" || first === "-V");
  const groups = onlyVersion ? [] : await Promise.all((wanted.length ? wanted : GROUPS).map(([, load]) => load()));
  for (const add of groups) add(program);
  await program.parseAsync();
}
