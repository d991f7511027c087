// `bun run build:node`: compiles the multi-call node binary (machined, apid, trustd) into
// dist/bronze-node with the image's own flags (image/src/node-binary.ts), for running it outside an image.
import { resolve } from "node:path";
import { nodeBinaryBuildArgs } from "../src/node-binary.ts";

const root = resolve(import.meta.dir, "../..");
const args = nodeBinaryBuildArgs("apps/machined/src/main.ts", process.argv[2] ?? "dist/bronze-node");
const build = Bun.spawnSync(args, { cwd: root, stdout: "inherit", stderr: "inherit" });
process.exit(build.exitCode ?? 1);
