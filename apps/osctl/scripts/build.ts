// Compiles osctl into dist/osctl. Every command implementation is an extra entry point embedded
// in the binary and loaded on demand (src/load-command.ts), so startup only loads the command
// tree: `osctl --help` stays within 2x of a bare `bun -e 0`. Bytecode skips parsing at startup;
// splitting puts the code the commands share (zod, yaml, the PKI...) in shared chunks instead of
// a copy per command: 22 MB less binary and ~3 ms less startup than without it. commander's
// Node built-ins are loaded on first use (lazy-builtins.ts).
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { lazyBuiltinsForCommander } from "./lazy-builtins.ts";

const app = resolve(import.meta.dir, "..");
const outfile = process.argv[2] ?? resolve(app, "../../dist/osctl");
const commands = readdirSync(join(app, "src/commands"))
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
  .map((f) => join(app, "src/commands", f));
const result = await Bun.build({
  entrypoints: [join(app, "src/main.ts"), ...commands],
  // A bunfig.toml or .env in the directory osctl runs in must not reach it: a bunfig's `preload`
  // would run that directory's code with the osconfig's keys.
  compile: { outfile, autoloadBunfig: false, autoloadDotenv: false },
  target: "bun",
  format: "esm",
  minify: true,
  bytecode: true,
  sourcemap: "none",
  splitting: true,
  // root pins the embedded layout (/$bunfs/root/commands/<name>.js, what load-command.ts imports):
  // left to itself Bun picked the package directory once there were more entry points.
  root: join(app, "src"),
  plugins: [lazyBuiltinsForCommander],
  throw: false,
});
for (const log of result.logs) console.error(log);
if (!result.success) process.exit(1);
console.log(`compiled ${outfile}`);
