// machined for real in container mode, as the component tests start it: `bun main.ts` under a
// sandbox root, apid and trustd from the node binary built for this test run (never a leftover
// dist/bronze-node), apid on a free port (never 50000), stdout and stderr piped.
import { join } from "node:path";
import { freePort } from "@bronze/testing";
import { testNodeBinary } from "./node-binary-fixture.ts";

export const MACHINED_MAIN = join(import.meta.dir, "../main.ts");

/** Starts machined with `--root root` and `flags` (e.g. "--platform", "container", "--config", file). */
export function spawnMachined(root: string, ...flags: string[]) {
  return spawnMachinedFrom(["bun", MACHINED_MAIN], root, flags);
}

/** The same, machined being the compiled node binary itself (what runs on a node). */
export function spawnCompiledMachined(root: string, ...flags: string[]) {
  return spawnMachinedFrom([testNodeBinary()], root, flags);
}

async function spawnMachinedFrom(command: readonly string[], root: string, flags: readonly string[]) {
  const apidPort = String(await freePort());
  const argv = [...command, "--root", root, "--node-binary", testNodeBinary(), "--apid-port", apidPort];
  return Bun.spawn([...argv, ...flags], { stdout: "pipe", stderr: "pipe" });
}
