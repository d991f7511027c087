import { beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { eventually } from "@bronze/testing";
import { busyboxImage, useContainerd } from "../test/fixtures.ts";
import { ContainerdError } from "./errors.ts";

const env = useContainerd();
const IMAGE = "docker.io/bronze/busybox:test";

beforeAll(async () => {
  await env.client.images.import(busyboxImage().data);
});

async function leftovers() {
  return {
    containers: (await env.client.containers.list()).map((c) => c.id),
    tasks: (await env.client.tasks.list()).map((t) => t.containerId),
    snapshots: (await env.client.snapshots.list()).map((s) => s.name),
    leases: await env.client.leases.list(),
  };
}
const CLEAN = () => ({ containers: [], tasks: [], snapshots: [busyboxImage().diffId], leases: [] });

test("run returns the exit status and leaves nothing behind; output goes to the log", async () => {
  const log = join(env.scratch, "run.log");
  const r = await env.client.run({
    id: "once",
    image: IMAGE,
    args: ["/bin/sh", "-c", "echo out; echo err >&2; exit 9"],
    logPath: log,
  });
  expect(r.exitStatus).toBe(9);
  expect(r.signal).toBeUndefined();
  expect(r.pid).toBeGreaterThan(0);
  expect(r.exitedAt).toBeInstanceOf(Date);
  expect(readFileSync(log, "utf8").split("\n").sort()).toEqual(["", "err", "out"]);
  expect(await leftovers()).toEqual(CLEAN());
});

test("a task killed by a signal reports it; remove: false keeps the container for inspection", async () => {
  const running = env.client.run({ id: "victim", image: IMAGE, args: ["/bin/sleep", "60"], remove: false });
  await eventually(
    "the victim running",
    async () => (await env.client.tasks.get("victim").catch(() => undefined))?.status === "running",
    15_000,
    20,
  );
  await env.client.tasks.kill("victim", "SIGKILL");
  expect(await running).toMatchObject({ exitStatus: 137, signal: "SIGKILL" });
  expect((await env.client.tasks.get("victim")).status).toBe("stopped");
  await env.client.removeContainer("victim");
  expect(await leftovers()).toEqual(CLEAN());
});

test("a task outliving runTimeoutMs is killed: DeadlineExceeded, and nothing leaks", async () => {
  // The task sleeps 600 s: only runTimeoutMs can end the run within the test's timeout.
  const e = await env.client
    .run({ id: "forever", image: IMAGE, args: ["/bin/sleep", "600"], runTimeoutMs: 300 })
    .catch((x) => x);
  expect(e).toBeInstanceOf(ContainerdError);
  expect(e.code).toBe("DeadlineExceeded");
  expect(e.message).toBe('run "forever": the task ran longer than 300 ms and was killed');
  expect(await leftovers()).toEqual(CLEAN());
});

test("a run that cannot start cleans up and says why", async () => {
  const e = await env.client.run({ id: "broken", image: IMAGE, args: ["/missing"] }).catch((x) => x);
  expect(e).toBeInstanceOf(ContainerdError);
  expect(e.message).toContain("/missing");
  expect(await leftovers()).toEqual(CLEAN());
});
