// Fails when the committed generated code in src/gen differs from what `buf generate` produces now.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { compareTrees } from "@bronze/testing";

const root = resolve(import.meta.dir, "../../..");
const scratch = mkdtempSync(join(tmpdir(), "bronze-api-gen-"));
try {
  const gen = Bun.spawnSync(["bunx", "buf", "generate", "--output", scratch], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (gen.exitCode !== 0) {
    console.error("check:generated: buf generate failed");
    process.exit(1);
  }
  const differences = compareTrees(join(scratch, "libs/api/src/gen"), join(root, "libs/api/src/gen"));
  if (differences.length > 0) {
    console.error("libs/api/src/gen is stale; run `bun run generate` and commit the result:");
    for (const d of differences) console.error(`  ${d}`);
    process.exit(1);
  }
  console.log("libs/api/src/gen is up to date");
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
