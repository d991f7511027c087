// `osctl validate` and `osctl machineconfig patch`: machine config files, offline.
import type { Command } from "commander";
import type { Io } from "../io.ts";
import { loadCommand } from "../load-command.ts";
import { collect, parseMode, parseReportFormat } from "../options.ts";
import type { ExitCodeSink } from "./globals.ts";

export function addMachineconfigCommands(program: Command, io: Io, setExitCode: ExitCodeSink): void {
  program
    .command("validate")
    .description("validate a machine config; every problem with its line, column and field path")
    .requiredOption("--config <file>", "machine config to validate")
    .requiredOption("--mode <mode>", "metal, qemu or container", parseMode)
    .option("--strict", "treat warnings as errors", false)
    .option("-o, --output <format>", "text or json", parseReportFormat, "text")
    .action(async (options) => {
      const { validate } = await loadCommand("validate");
      setExitCode(validate(options, io));
    });

  program
    .command("machineconfig")
    .alias("mc")
    .description("work with machine config files")
    .command("patch")
    .description("apply strategic-merge or RFC 6902 JSON patches to a machine config, in order")
    .argument("<file>", "machine config to patch")
    .option(
      "-p, --patch <patch>",
      "patch: @file, inline YAML/JSON, or - for stdin (repeatable)",
      collect(false),
      [],
    )
    .option("-o, --output <file>", "write the result here instead of stdout")
    .option(
      "--mode <mode>",
      "mode to validate the result for: metal, qemu or container",
      parseMode,
      "container",
    )
    .action(async (file: string, options) => {
      const { machineconfigPatch } = await loadCommand("machineconfig-patch");
      await machineconfigPatch(file, options, io);
    });
}
