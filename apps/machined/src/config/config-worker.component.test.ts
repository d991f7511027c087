// The config worker inside the COMPILED node binary (issue 10): machined started from the binary built
// for this test run (the image build's entry points, the worker's included) in container mode, with a
// real containerd, and configs applied over its machine API socket. machined has no other way to
// validate or diff an applied config than its worker: an answer with the schema's issues and a diff
// means the worker was found inside the executable and ran.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { type ContainerNode, startContainerNode, TESTDATA } from "../testing/container-node-fixture.ts";
import { killSandbox } from "../testing/sandbox-processes.ts";

const WORKER = readFileSync(join(TESTDATA, "worker.yaml"), "utf8");
const enc = (s: string) => new TextEncoder().encode(s);

let root: string;
let node: ContainerNode | undefined;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "cfg-worker-bin-"));
});
afterEach(() => {
  node?.proc.kill("SIGKILL");
  node = undefined;
  killSandbox(root);
  rmSync(root, { recursive: true, force: true });
});

test("the compiled machined validates and diffs an applied config in its worker", async () => {
  node = await startContainerNode(root, ["--config", join(TESTDATA, "worker.yaml")], { compiled: true });
  await node.console.waitFor(/\[boot\] sequence finished in \d+ ms/, 30_000);

  // Invalid: the schema's issues, found by the worker, reach the caller as before.
  const files = WORKER.replace(/^machine:\n/m, `machine:\n  files: [${Array(50).fill("{}").join(",")}]\n`);
  const invalid = await node.api.applyConfiguration({ data: enc(files), dryRun: true }).then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  // (A binary without the worker's entry point answers FailedPrecondition: "the config worker failed".)
  expect(invalid?.rawMessage).toContain("invalid machine config (200 errors)");
  expect(invalid?.code).toBe(Code.InvalidArgument);
  expect(invalid?.rawMessage).toContain("machine.files[0].content: required field is missing");

  // Valid: validated, then diffed against the config in force, both in the worker.
  const renamed = WORKER.replace("hostname: worker-1", "hostname: worker-2");
  const dry = await node.api.applyConfiguration({ data: enc(renamed), dryRun: true });
  expect(dry.modeDetails).toBe("Dry run (auto): nothing was changed");
  expect(dry.diff).toStartWith("--- current\n+++ new\n@@ ");
  expect(dry.diff).toContain("\n-    hostname: worker-1\n+    hostname: worker-2\n");
  expect(node.console.all.some((l) => l.includes("config worker"))).toBe(false);

  node.proc.kill("SIGTERM");
  expect(await node.proc.exited).toBe(0);
}, 60_000);
