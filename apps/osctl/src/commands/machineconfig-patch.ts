// `osctl machineconfig patch FILE --patch @p.yaml ...`: strategic-merge or RFC 6902 patches,
// applied in order; the result is validated before anything is written.
import { resolve } from "node:path";
import { applyPatches, ConfigError, formatIssue, type Mode } from "@bronze/config-schema";
import { CliError, usageError } from "../cli-error.ts";
import { writeFilesAtomically } from "../files/atomic-write.ts";
import { readInput, readTextFile } from "../files/read-input.ts";
import type { Io } from "../io.ts";

export async function machineconfigPatch(
  file: string,
  options: { patch: string[]; output?: string; mode: Mode },
  io: Io,
): Promise<void> {
  if (options.patch.length === 0) throw usageError("--patch: at least one patch is required");
  const base = readTextFile(file, io, "<file>");
  const patches = await Promise.all(options.patch.map((p) => readInput(p, io, "--patch")));
  let patched: string;
  try {
    patched = applyPatches(
      base.text,
      patches.map((p) => p.text),
      { mode: options.mode },
    );
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const issues = error.issues.map(
      (i) => `  ${formatIssue(i, error.code === "invalid" ? `${file} (patched)` : file)}`,
    );
    throw new CliError(
      "invalid-input",
      `patching ${file} with ${patches.map((p) => p.source).join(", ")} failed: ${error.message}${issues.length ? `\n${issues.join("\n")}` : ""}`,
    );
  }
  if (!options.output) {
    io.stdout(patched);
    return;
  }
  const path = resolve(io.cwd, options.output);
  writeFilesAtomically([{ path, content: patched, mode: 0o600 }], { force: true });
  io.stderr(`wrote ${path}\n`);
}
