// osctl's entry point: run the CLI with the process's arguments and exit with its code.
import { processIo } from "./io.ts";
import { runCli } from "./run-cli.ts";

process.exitCode = await runCli(process.argv.slice(2), processIo());
