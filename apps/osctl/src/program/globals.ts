// What the command registrations share: the root's global flags (--osconfig, --context, -e, -n,
// --timeout) as a command reads them, the -o flag of listing commands, and the exit-code sink.
import type { Command } from "commander";
import type { NodeGlobals } from "../client/node-client.ts";
import type { Io } from "../io.ts";
import { parseOutputFormat } from "../options.ts";
import { resolveOsconfigPath } from "../osconfig/osconfig-path.ts";

/** Commands report a non-zero exit without an error (e.g. `validate` finding problems) through this. */
export type ExitCodeSink = (code: number) => void;

export interface GlobalOptions {
  osconfig?: string;
  context?: string;
}

/** The osconfig file and context a `config` command works on. */
export function configTarget(command: Command, io: Io) {
  const globals = command.optsWithGlobals<GlobalOptions>();
  return { path: resolveOsconfigPath(globals.osconfig, io), context: globals.context };
}

export const outputFlag = [
  "-o, --output <format>",
  "table, json or yaml",
  parseOutputFormat,
  "table",
] as const;

/** The global flags a node command passes to withNodeSession. */
export function nodeGlobals(command: Command, io: Io): NodeGlobals {
  const globals = command.optsWithGlobals<GlobalOptions & NodeGlobals>();
  return {
    osconfig: resolveOsconfigPath(globals.osconfig, io),
    context: globals.context,
    endpoints: globals.endpoints,
    nodes: globals.nodes,
    timeout: globals.timeout,
  };
}
