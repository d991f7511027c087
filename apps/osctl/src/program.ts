// osctl's command tree: the root command with its global flags, and the groups registered from
// src/program/<group>.ts. Command implementations are imported lazily (load-command.ts) so that
// `osctl --help` and light commands do not pay for loading the PKI and config libraries.
import { BRONZE_VERSION } from "@bronze/api";
import { Command } from "commander";
import { parseDuration } from "./client/node-flags.ts";
import type { Io } from "./io.ts";
import { collect } from "./options.ts";
import { addClusterCommands } from "./program/cluster.ts";
import { addEtcdCommands } from "./program/etcd.ts";
import { addGenCommands } from "./program/gen.ts";
import type { ExitCodeSink } from "./program/globals.ts";
import { addImageCommands } from "./program/image.ts";
import { addMachineconfigCommands } from "./program/machineconfig.ts";
import { addNodeCommands } from "./program/node.ts";
import { addOsconfigCommands } from "./program/osconfig.ts";
import { addPxeCommands } from "./program/pxe.ts";

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences is the point
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
/** Replaces node:util's stripVTControlCharacters, whose first call costs milliseconds at startup. */
const stripAnsi = (s: string) => s.replace(ANSI, "");

export function buildProgram(io: Io, setExitCode: ExitCodeSink): Command {
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
    .configureHelp({ displayWidth: (s) => stripAnsi(s).length });

  addGenCommands(program, io);
  addMachineconfigCommands(program, io, setExitCode);
  addOsconfigCommands(program, io);
  addNodeCommands(program, io, setExitCode);
  addEtcdCommands(program, io, setExitCode);
  addPxeCommands(program, io);
  addClusterCommands(program, io, setExitCode);
  addImageCommands(program, io);
  return program;
}
