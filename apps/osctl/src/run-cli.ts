// Runs osctl with the given arguments and returns its exit code: 0 success, 1 failure or invalid
// input, 2 usage error. Every error is printed to stderr with what was wrong; nothing is thrown.
import { CommanderError } from "commander";
import { isCliError } from "./cli-error.ts";
import type { Io } from "./io.ts";
import { StandInInvoked } from "./program/stand-in.ts";
import { buildProgram } from "./program.ts";

const CLEAN_EXITS = new Set(["commander.helpDisplayed", "commander.help", "commander.version"]);

export async function runCli(args: string[], io: Io): Promise<number> {
  let exitCode = 0;
  const setExitCode = (code: number) => {
    exitCode = code;
  };
  try {
    try {
      // Only the invoked command's group is built (program.ts): osctl starts in a few milliseconds.
      await buildProgram(io, setExitCode, args).parseAsync(args, { from: "user" });
    } catch (error) {
      if (!(error instanceof StandInInvoked)) throw error;
      await buildProgram(io, setExitCode).parseAsync(args, { from: "user" });
    }
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message already; a bare group (`osctl gen`) shows its help.
      if (CLEAN_EXITS.has(error.code)) return 0;
      return 2;
    }
    if (isCliError(error)) {
      io.stderr(`error: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr(
      `error: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}
