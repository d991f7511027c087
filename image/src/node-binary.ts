import { existsSync } from "node:fs";
import { join } from "node:path";
import { ImageError } from "./image-error.ts";
import type { RunTool } from "./run-tool.ts";

/**
 * The compiled multi-call binary (`bun build --compile`). The output file name is embedded in the
 * binary, so it is always `<workDir>/bronze`: the same entry compiles to the same bytes. The binary
 * must never be stripped (it would lose the embedded program).
 */
export function compileArgs(entry: string, workDir: string): string[] {
  return ["bun", "build", "--compile", entry, "--outfile", join(workDir, "bronze")];
}

export async function compileNodeBinary(run: RunTool, entry: string, workDir: string): Promise<string> {
  if (!existsSync(entry)) throw new ImageError("NotFound", `node entry point ${entry} does not exist`);
  await run(compileArgs(entry, workDir));
  return join(workDir, "bronze");
}
