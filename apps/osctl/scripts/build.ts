// Compiles osctl into dist/osctl. Every command implementation is an extra entry point embedded
// in the binary and loaded on demand (src/load-command.ts), so startup only loads the command
// tree: `osctl --help` stays within 2x of a bare `bun -e 0`. Bytecode skips parsing at startup;
// --splitting puts the code the commands share (zod, yaml, the PKI...) in shared chunks instead of
// a copy per command: 22 MB less binary and ~3 ms less startup than without it.
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";

const app = resolve(import.meta.dir, "..");
const outfile = process.argv[2] ?? resolve(app, "../../dist/osctl");
const commands = readdirSync(join(app, "src/commands"))
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
  .map((f) => `src/commands/${f}`);
// --root=src pins the embedded layout (/$bunfs/root/commands/<name>.js, what load-command.ts
// imports): left to itself Bun picked the package directory once there were more entry points.
const argv = [
  "bun",
  "build",
  "--compile",
  "--minify",
  "--bytecode",
  "--format=esm",
  "--sourcemap=none",
  "--root=src",
  "--splitting",
];
const proc = Bun.spawnSync([...argv, "src/main.ts", ...commands, "--outfile", outfile], {
  cwd: app,
  stdout: "inherit",
  stderr: "inherit",
});
process.exit(proc.exitCode ?? 1);
