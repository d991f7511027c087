// Generates src/gen from etcd's v3 API protos as Debian packages them (the etcd version the
// image ships), with buf and the local protoc-gen-es from npm. The protos are staged into a temporary
// tree under their import paths; nothing is copied into the repository but the generated code.
//   bun scripts/generate.ts            -> writes src/gen
//   bun scripts/generate.ts <dir>      -> writes <dir> (used by check-generated.ts)
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { checkProtoSources, protoSources } from "./proto-sources.ts";

const libDir = resolve(import.meta.dir, "..");
const repoRoot = resolve(libDir, "../..");

export function generate(outDir: string): void {
  const sources = protoSources();
  const problems = checkProtoSources(sources);
  if (problems.length > 0) throw new Error(`cannot generate etcd's API:\n  ${problems.join("\n  ")}`);
  const stage = mkdtempSync(join(tmpdir(), "etcd-protos-"));
  try {
    const protoRoot = join(stage, "proto");
    for (const s of sources) {
      const target = join(protoRoot, s.importPath);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(s.file, target);
    }
    writeFileSync(join(protoRoot, "buf.yaml"), "version: v2\n");
    const template = join(stage, "buf.gen.yaml");
    writeFileSync(
      template,
      [
        "version: v2",
        "plugins:",
        `  - local: ${JSON.stringify(join(repoRoot, "node_modules/.bin/protoc-gen-es"))}`,
        `    out: ${JSON.stringify(resolve(outDir))}`,
        "    opt:",
        "      - target=ts",
        "      - import_extension=ts",
        "clean: true",
        "",
      ].join("\n"),
    );
    const run = Bun.spawnSync(["bunx", "buf", "generate", protoRoot, "--template", template], {
      cwd: libDir,
      stdio: ["ignore", "inherit", "inherit"],
    });
    if (run.exitCode !== 0) throw new Error(`buf generate failed with exit code ${run.exitCode}`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const out = process.argv[2] ?? join(libDir, "src/gen");
  try {
    generate(out);
    console.log(`generated etcd's API into ${out}`);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
