import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { ImageError } from "./image-error.ts";
import type { RunTool } from "./run-tool.ts";

/**
 * The workers the node binary starts (`new Worker`), relative to its entry point's directory
 * (apps/machined/src): machined's config worker, which validates and diffs applied configs off PID 1's
 * event loop. `bun build --compile` embeds a worker only when it is given as an entry point of its own,
 * and puts it at that path under the executable's root (/$bunfs/root/config/config-worker.js), where
 * machined looks for it (apps/machined/src/config/config-worker-client.ts).
 */
export const NODE_BINARY_WORKERS: readonly string[] = ["config/config-worker.ts"];

/**
 * What `bun build --compile` is given for the node binary: its entry point, then the workers found
 * beside it (machined's main has them; a stand-in init, as the image's own tests build, has none).
 */
export function nodeBinaryEntries(entry: string, exists: (path: string) => boolean = existsSync): string[] {
  const workers = NODE_BINARY_WORKERS.map((worker) => join(dirname(entry), worker));
  return [entry, ...workers.filter((worker) => exists(worker))];
}

/**
 * The compiled multi-call binary (`bun build --compile`). The output file name is embedded in the
 * binary, so it is always `<workDir>/bronze`: the same entry compiles to the same bytes. The binary
 * must never be stripped (it would lose the embedded program). It reads no bunfig.toml or .env from
 * its working directory: nothing outside the image decides what the node's programs run.
 */
export function compileArgs(entry: string, workDir: string): string[] {
  return [
    "bun",
    "build",
    "--compile",
    "--no-compile-autoload-bunfig",
    "--no-compile-autoload-dotenv",
    ...nodeBinaryEntries(entry),
    "--outfile",
    join(workDir, "bronze"),
  ];
}

export async function compileNodeBinary(run: RunTool, entry: string, workDir: string): Promise<string> {
  if (!existsSync(entry)) throw new ImageError("NotFound", `node entry point ${entry} does not exist`);
  await run(compileArgs(entry, workDir));
  return join(workDir, "bronze");
}
