// A stand-in for a top-level command whose group this run did not build: its name, aliases,
// description and help term come from the generated command index, so the root's help, its
// "unknown command" suggestions and its usage errors read exactly as with the whole tree. It never
// runs: commander dispatching to one means the command was not read from the arguments as
// invoked-command.ts reads them; the root's preSubcommand hook (refuseStandIns) stops the parse
// before the stand-in reads any flag, and runCli then builds the whole tree and parses again.
// A stand-in is as light as a command gets: ~30 of them are built on every run.
import { type Command, Help } from "commander";
import type { CommandIndexEntry } from "../gen/command-index.ts";

export class StandInInvoked extends Error {
  constructor(readonly command: string) {
    super(`osctl built only a stand-in for '${command}'`);
    this.name = "StandInInvoked";
  }
}

const terms = new WeakMap<Command, string>();

export function addStandIn(program: Command, entry: CommandIndexEntry): void {
  const command = program.command(entry.name).description(entry.description);
  if (entry.aliases.length > 0) command.aliases(entry.aliases);
  terms.set(command, entry.term);
}

/** The root's preSubcommand hook: dispatching to a stand-in throws StandInInvoked instead. */
export function refuseStandIns(_root: Command, subcommand: Command): void {
  if (terms.has(subcommand)) throw new StandInInvoked(subcommand.name());
}

/** Help's subcommandTerm, answering the indexed term for stand-ins (which declare no flags or arguments). */
export function subcommandTerm(this: Help, command: Command): string {
  return terms.get(command) ?? Help.prototype.subcommandTerm.call(this, command);
}
