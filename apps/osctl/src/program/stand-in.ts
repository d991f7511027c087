// A stand-in for a top-level command whose group this run did not build: its name, aliases,
// description and help term come from the generated command index, so the root's help, its
// "unknown command" suggestions and its usage errors read exactly as with the whole tree. It never
// runs: commander dispatching to one means the command was not read from the arguments as
// invoked-command.ts reads them, and runCli then builds the whole tree and parses again.
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
  const command = program
    .command(entry.name)
    .description(entry.description)
    .aliases(entry.aliases)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new StandInInvoked(entry.name);
    });
  terms.set(command, entry.term);
}

/** Help's subcommandTerm, answering the indexed term for stand-ins (which declare no flags or arguments). */
export function subcommandTerm(this: Help, command: Command): string {
  return terms.get(command) ?? Help.prototype.subcommandTerm.call(this, command);
}
