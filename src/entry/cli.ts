#!/usr/bin/env node
/**
 * feedwerk's command line. It only wires: the commands live in
 * src/entry/commands, one module per group, each a thin layer over the
 * input, pipeline, storage and publish modules; here the program, the
 * environment check before a command, and how an error ends the process.
 */
import { Command } from "commander";
import { addFeedCommands } from "./commands/feeds";
import { addPageCommands } from "./commands/pages";
import { addPruneCommand } from "./commands/prune";
import { addServeCommands } from "./commands/serve";
import { addSourceCommands } from "./commands/sources";
import { ConfigError, readConfig } from "./config";
import { failureLine } from "./cli/failures";

const program = new Command()
  .name("feedwerk")
  .description("Turns news pages into per-tag RSS, Atom and JSON feeds.")
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) })
  // the environment is checked before any command but parse, which reads none of it, does anything
  .hook("preAction", (_program, command) => {
    if (command.name() !== "parse") readConfig();
  });

// the order of the help's command list
addPageCommands(program);
addServeCommands(program);
addSourceCommands(program);
addFeedCommands(program);
addPruneCommand(program);

program.parseAsync().catch((error: unknown) => {
  const lines = error instanceof ConfigError ? error.problems : [failureLine(error)];
  for (const line of lines) console.error(`error: ${line}`);
  process.exitCode = 1;
});
