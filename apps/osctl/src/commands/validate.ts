// `osctl validate --config FILE --mode M`: exit 0 with one line when valid, exit 1 with every
// problem (file:line:column, field path, message) when not. `-o json` is for CI pipelines.
import { formatIssue, type Mode, validateConfig } from "@bronze/config-schema";
import { readTextFile } from "../files/read-input.ts";
import type { Io } from "../io.ts";

export function validate(
  options: { config: string; mode: Mode; strict: boolean; output: "text" | "json" },
  io: Io,
): number {
  const input = readTextFile(options.config, io, "--config");
  const result = validateConfig(input.text, { mode: options.mode, strict: options.strict });
  if (options.output === "json") {
    const report = {
      file: options.config,
      mode: options.mode,
      strict: options.strict,
      valid: result.ok,
      errors: result.errors,
      warnings: result.warnings,
    };
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return result.ok ? 0 : 1;
  }
  for (const warning of result.warnings) io.stderr(`${formatIssue(warning, options.config)}\n`);
  if (result.ok) {
    io.stdout(`${options.config}: valid for ${options.mode} mode\n`);
    return 0;
  }
  for (const error of result.errors) io.stderr(`${formatIssue(error, options.config)}\n`);
  const w = result.warnings.length;
  io.stderr(
    `${options.config}: ${result.errors.length} error${result.errors.length === 1 ? "" : "s"}` +
      (w ? `, ${w} warning${w === 1 ? "" : "s"}` : "") +
      ` (${options.mode} mode${options.strict ? ", strict" : ""})\n`,
  );
  return 1;
}
