import { afterAll, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "@bronze/testing";
import { createTestIo } from "../testing/test-io.ts";
import type { ClusterState } from "./cluster-state.ts";
import { waitForNodes } from "./cluster-wait.ts";

const io = createTestIo();
afterAll(() => io.cleanup());

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const proc = Bun.spawn(["true"]);
  await proc.exited;
  return proc.pid;
}

test("every node at once: one up, one whose QEMU died reported with its log; failures counted", async () => {
  const node = (name: string, pid: number, apidPort: number) => {
    mkdirSync(join(io.dir, name));
    return {
      name,
      role: "worker" as const,
      pid,
      mac: "52:54:00:00:00:01",
      clusterIp: "10.5.0.3",
      apidPort,
      serialLog: join(io.dir, name, "serial.log"),
    };
  };
  const up = node("demo-worker-1", process.pid, await freePort());
  const dead = node("demo-worker-2", await deadPid(), await freePort());
  // A machined that starts no apid: the wait ends at the end of its boot.
  writeFileSync(up.serialLog, "machined: starting (pid 1)\r\nmachined: [boot] sequence finished in 5 ms\r\n");
  writeFileSync(join(io.dir, dead.name, "qemu.log"), "qemu: could not load kernel\n");
  const state: ClusterState = {
    name: "demo",
    createdAt: "2026-01-01T00:00:00.000Z",
    boot: "kernel",
    osconfig: join(io.dir, "osconfig"),
    context: "demo",
    server: { pid: 1, port: 1, log: "" },
    nodes: [up, dead],
  };
  const result = await waitForNodes(
    state,
    { dir: io.dir, osconfig: state.osconfig, context: "demo", timeoutMs: 60_000, elapsed: () => "1.0s" },
    io,
  );
  expect(result.failed).toBe(1);
  expect([...result.outcomes.keys()]).toEqual(["demo-worker-1"]);
  expect(result.outcomes.get("demo-worker-1")?.stage).toBe("booted");
  const out = io.out.join("");
  expect(out).toStartWith("waiting for the nodes (at most 60 s)...\n");
  expect(out).toContain("  demo-worker-1: machined started (1.0s)\n");
  expect(out).toContain("demo-worker-1: up: boot finished");
  expect(io.err.join("")).toBe(
    `demo-worker-2: QEMU exited (last step: start); serial log: ${dead.serialLog}\nqemu: could not load kernel\n`,
  );
});
