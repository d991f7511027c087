// The multi-call node binary the container-mode tests run apid and trustd from (bind-mounted into
// their containers, so it must be compiled): built from this checkout once per test process, into a
// temporary directory, and passed to machined with --node-binary. Never the repository's
// dist/bronze-node, which is whatever the last build left. Its entry points are the image build's (the
// workers included).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeBinaryBuildArgs } from "@bronze/image/node-binary";

const MAIN = join(import.meta.dir, "../main.ts");

/** A binary built outside the tests (e.g. once by scripts/test.ts for every package): used as is. */
export const NODE_BINARY_ENV = "BRONZE_TEST_NODE_BINARY";

let built: string | undefined;

/** Compiles the node binary the first time it is asked for in this process; removed at exit. */
export function testNodeBinary(): string {
  const given = process.env[NODE_BINARY_ENV];
  if (given) return given;
  if (built !== undefined) return built;
  const dir = mkdtempSync(join(tmpdir(), "bronze-node-bin-"));
  const binary = join(dir, "bronze-node");
  const build = Bun.spawnSync(nodeBinaryBuildArgs(MAIN, binary), { stdout: "pipe", stderr: "pipe" });
  if (build.exitCode !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot compile the node binary: ${build.stderr.toString().slice(-2000)}`);
  }
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  built = binary;
  return binary;
}
