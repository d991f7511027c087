import { resolve } from "node:path";
import { buildImage } from "./build.ts";
import { parseBuildCommand, USAGE } from "./cli.ts";
import { ImageError } from "./image-error.ts";
import { runTool } from "./run-tool.ts";

const repoRoot = resolve(import.meta.dir, "../..");

const args = process.argv.slice(2);
if (args.length === 0 || args.includes("--help") || args.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}

try {
  const command = parseBuildCommand(args, {
    cwd: process.cwd(),
    repoRoot,
    env: process.env,
  });
  const started = performance.now();
  const { manifest } = await buildImage({
    ...command,
    run: runTool,
    log: (line) => console.log(line),
  });
  console.log(
    `built ${manifest.profile} image (kernel ${manifest.kernel.abi}) into ${command.outDir} in ${((performance.now() - started) / 1000).toFixed(1)}s`,
  );
  for (const file of manifest.files)
    console.log(`  ${file.name.padEnd(14)} ${String(file.size).padStart(10)}  ${file.sha256}`);
} catch (error) {
  if (error instanceof ImageError) {
    console.error(`image: ${error.code}: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
