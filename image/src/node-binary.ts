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

/** The JIT policy the node binary starts with (1 is Bun's normal tier-up). */
export const START_JIT_POLICY = 50;

/**
 * The `bun build --compile` command line of the multi-call binary, from `entry` into `outfile`. The
 * binary must never be stripped (it would lose the embedded program). It reads no bunfig.toml or .env
 * from its working directory: nothing outside the image decides what the node's programs run.
 *
 * Start-up flags (../shared/reviews/boot-levers.md, lever 1; each applet starts on the guest's one
 * vCPU): minified (names kept, for stack traces in the logs), bytecode (no parsing at start), and JIT
 * tier-up thresholds scaled by 50 while starting, so that compiler threads do not compete with the
 * start itself; apps/machined/src/main.ts restores the normal policy once started.
 */
export function nodeBinaryBuildArgs(entry: string, outfile: string): string[] {
  return [
    "bun",
    "build",
    "--compile",
    "--minify",
    "--keep-names",
    "--bytecode",
    "--format=esm",
    `--compile-jit-policy=${START_JIT_POLICY}`,
    "--no-compile-autoload-bunfig",
    "--no-compile-autoload-dotenv",
    "--sourcemap=none",
    ...nodeBinaryEntries(entry),
    "--outfile",
    outfile,
  ];
}

/**
 * The image's node binary. The output file name is embedded in the binary, so it is always
 * `<workDir>/bronze`: the same entry compiles to the same bytes.
 */
export function compileArgs(entry: string, workDir: string): string[] {
  return nodeBinaryBuildArgs(entry, join(workDir, "bronze"));
}

export async function compileNodeBinary(run: RunTool, entry: string, workDir: string): Promise<string> {
  if (!existsSync(entry)) throw new ImageError("NotFound", `node entry point ${entry} does not exist`);
  await run(compileArgs(entry, workDir));
  return join(workDir, "bronze");
}
