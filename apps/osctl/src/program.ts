// osctl's command tree: the root command with its global flags, and the groups registered from
// src/program/<group>.ts. Given the arguments, only the invoked command's group is built and the
// other top-level commands are stand-ins (program/stand-in.ts): `osctl --help` builds no group.
// Command implementations are imported lazily (load-command.ts) so that `osctl --help` and light
// commands do not pay for loading the PKI and config libraries.
import { BRONZE_VERSION } from "@bronze/api";
import { Command } from "commander";
import { parseDuration } from "./client/node-flags.ts";
import { COMMAND_INDEX } from "./gen/command-index.ts";
import type { Io } from "./io.ts";
import { collect } from "./options.ts";
import type { ExitCodeSink } from "./program/globals.ts";
import { COMMAND_GROUPS, type CommandGroup } from "./program/groups.ts";
import { invokedCommandName } from "./program/invoked-command.ts";
import { addStandIn, refuseStandIns, subcommandTerm } from "./program/stand-in.ts";

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences is the point
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
/** Replaces node:util's stripVTControlCharacters, whose first call costs milliseconds at startup. */
const stripAnsi = (s: string) => s.replace(ANSI, "");
/** Help calls it for every word it wraps: most have no escape sequence to strip. */
const displayWidth = (s: string) => (s.includes("\x1b") ? stripAnsi(s).length : s.length);

/**
 * The command tree. With `args`, only the group of the command they invoke is real; without, the
 * whole tree (what `help <command>` needs, and the fallback when a stand-in was dispatched).
 */
export function buildProgram(io: Io, setExitCode: ExitCodeSink, args?: readonly string[]): Command {
  const program = new Command("osctl")
    .description("Bronze's command-line tool: generate and validate configs, operate nodes over the mTLS API")
    .version(BRONZE_VERSION, "--version", "print osctl's version")
    .option("--osconfig <path>", "client config file (default $OSCONFIG, then ~/.osctl/config)")
    .option("--context <name>", "context to use instead of the current one")
    .option(
      "-e, --endpoints <endpoints>",
      "apid endpoints to talk to (comma list; default: the context's)",
      collect(true),
    )
    .option(
      "-n, --nodes <nodes>",
      "nodes to run the command on (comma list; default: the context's)",
      collect(true),
    )
    .option(
      "--timeout <duration>",
      "deadline of each call (default 30s), or the bound of a wait (e.g. 90s, 10m)",
      parseDuration("--timeout"),
    )
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      getOutHelpWidth: () => io.columns() ?? 80,
      getErrHelpWidth: () => io.columns() ?? 80,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
      stripColor: stripAnsi,
    })
    .configureHelp({ displayWidth, subcommandTerm });

  const invoked = args && invokedCommandName(program, args);
  if (args === undefined || invoked === "help") {
    for (const add of Object.values(COMMAND_GROUPS)) add(program, io, setExitCode);
    return program;
  }
  program.hook("preSubcommand", refuseStandIns);
  const group = COMMAND_INDEX.find((e) => e.name === invoked || e.aliases.includes(invoked ?? ""))?.group;
  const built = new Set<CommandGroup>();
  for (const entry of COMMAND_INDEX) {
    if (entry.group !== group) addStandIn(program, entry);
    else if (!built.has(entry.group)) {
      COMMAND_GROUPS[entry.group](program, io, setExitCode);
      built.add(entry.group);
    }
  }
  return program;
}
