import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "@bronze/testing";
import { killSandbox, sandboxProcesses } from "./sandbox-processes.ts";

test("a process mentioning the sandbox root is found and killed; nothing is left after", async () => {
  const root = mkdtempSync(join(tmpdir(), "sandbox-procs-"));
  // Working in the root is not mentioning it: only a process's command line or cgroup counts.
  const bystander = Bun.spawn(["sleep", "30"], { cwd: root });
  const named = Bun.spawn([process.execPath, "-e", "setInterval(() => {}, 1000)", join(root, "marker")]);
  try {
    // Until it has exec'd, the child's command line is still this process's.
    await eventually("the child running", () => sandboxProcesses(root).length > 0, 5000, 5);
    expect(sandboxProcesses(root)).toEqual([named.pid]);
    expect(killSandbox(root)).toBe(1);
    expect(await named.exited).not.toBe(0);
    expect(sandboxProcesses(root)).toEqual([]);
  } finally {
    bystander.kill("SIGKILL");
    named.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
  }
});
