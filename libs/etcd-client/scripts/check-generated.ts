// Fails (exit 1, listing the stale files) when the committed src/gen differs from what
// scripts/generate.ts produces now from the installed Debian protos.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { compareTrees } from "@bronze/testing";
import { generate } from "./generate.ts";

const committed = resolve(import.meta.dir, "../src/gen");
const scratch = mkdtempSync(join(tmpdir(), "etcd-client-gen-"));
try {
  generate(scratch);
  const differences = compareTrees(scratch, committed);
  if (differences.length > 0) {
    console.error("libs/etcd-client/src/gen is stale; run `bun run generate` and commit the result:");
    for (const d of differences) console.error(`  ${d}`);
    process.exit(1);
  }
  console.log("libs/etcd-client/src/gen is up to date");
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
