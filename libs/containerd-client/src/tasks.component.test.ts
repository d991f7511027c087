import { beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxImage, useContainerd } from "../test/fixtures.ts";
import { ContainerdError, isContainerdError } from "./errors.ts";
import { logStdio } from "./tasks.ts";

const env = useContainerd();
const IMAGE = "docker.io/bronze/busybox:test";

beforeAll(async () => {
  await env.client.images.import(busyboxImage().data);
});

async function errorOf(p: Promise<unknown>): Promise<ContainerdError> {
  const e = await p.then(
    () => undefined,
    (x) => x,
  );
  expect(e).toBeInstanceOf(ContainerdError);
  return e as ContainerdError;
}

const LOOP = [
  "/bin/sh",
  "-c",
  "trap 'echo got TERM; exit 7' TERM; echo started; while true; do sleep 0.05; done",
];

test("create, start, pids, metrics, exec, kill with a signal, wait, delete; output in the log file", async () => {
  const log = join(env.scratch, "loop.log");
  await env.client.createContainer({
    id: "loop",
    image: IMAGE,
    args: LOOP,
    memoryLimitBytes: 64 * 1024 * 1024,
  });
  const task = await env.client.startTask("loop", { logPath: log });
  expect(task.pid).toBeGreaterThan(0);
  expect((await env.client.tasks.get("loop")).status).toBe("running");
  expect((await env.client.tasks.list()).map((t) => t.containerId)).toEqual(["loop"]);
  const pids = await env.client.tasks.pids("loop");
  expect(pids).toContain(task.pid);
  const m = await env.client.tasks.metrics("loop");
  expect(m.memoryUsageBytes).toBeGreaterThan(0);
  expect(m.memoryLimitBytes).toBe(64 * 1024 * 1024);
  expect(m.pids).toBeGreaterThanOrEqual(1);

  const execLog = join(env.scratch, "exec.log");
  await env.client.tasks.exec("loop", "probe", {
    args: ["/bin/sh", "-c", "echo exec as $(id -u) in $(pwd); exit 5"],
    cwd: "/etc",
    logPath: execLog,
  });
  await env.client.tasks.start("loop", { execId: "probe" });
  expect((await env.client.tasks.wait("loop", { execId: "probe" })).exitStatus).toBe(5);
  expect((await env.client.tasks.removeProcess("loop", "probe")).exitStatus).toBe(5);
  expect(readFileSync(execLog, "utf8")).toBe("exec as 0 in /etc\n");

  // a running task cannot be deleted
  const running = await errorOf(env.client.tasks.remove("loop"));
  expect(running.code).toBe("FailedPrecondition");
  expect(running.message).toContain("running");

  await env.client.tasks.kill("loop", "SIGTERM");
  const exit = await env.client.tasks.wait("loop", { timeoutMs: 10_000 });
  expect(exit.exitStatus).toBe(7);
  expect(exit.exitedAt).toBeInstanceOf(Date);
  expect((await env.client.tasks.get("loop")).status).toBe("stopped");
  expect((await env.client.tasks.remove("loop")).exitStatus).toBe(7);
  expect(readFileSync(log, "utf8")).toBe("started\ngot TERM\n");
  await env.client.removeContainer("loop");
});

test("a task that exits or is killed gives typed errors on further use", async () => {
  await env.client.createContainer({ id: "short", image: IMAGE, args: ["/bin/sh", "-c", "exit 3"] });
  await env.client.startTask("short");
  expect((await env.client.tasks.wait("short")).exitStatus).toBe(3);
  const kill = await errorOf(env.client.tasks.kill("short", "SIGKILL"));
  expect(kill.code).toBe("NotFound");
  expect(kill.message).toContain("process already finished");
  const exec = await errorOf(
    env.client.tasks
      .exec("short", "late", { args: ["/bin/true"] })
      .then(() => env.client.tasks.start("short", { execId: "late" })),
  );
  expect(exec.code).toBe("FailedPrecondition");
  expect(exec.message).toContain("stopped");
  await env.client.removeContainer("short");

  await env.client.createContainer({ id: "killed", image: IMAGE, args: ["/bin/sleep", "60"] });
  await env.client.startTask("killed");
  await env.client.tasks.kill("killed", "SIGKILL");
  expect((await env.client.tasks.wait("killed")).exitStatus).toBe(137);
  const restart = await errorOf(env.client.tasks.start("killed"));
  expect(restart.code).toBe("FailedPrecondition");
  expect(restart.message).toContain("cannot start a stopped process");
  await env.client.removeContainer("killed");
  expect(isContainerdError(await errorOf(env.client.tasks.kill("killed")), "NotFound")).toBe(true);
});

test("waiting past a deadline is DeadlineExceeded; signals and tasks are checked", async () => {
  await env.client.createContainer({ id: "sleeper", image: IMAGE, args: ["/bin/sleep", "60"] });
  await env.client.startTask("sleeper");
  // The task sleeps 60 s: only the 200 ms deadline can end this wait.
  const late = await errorOf(env.client.tasks.wait("sleeper", { timeoutMs: 200 }));
  expect(late.code).toBe("DeadlineExceeded");
  expect((await errorOf(env.client.tasks.kill("sleeper", "SIGNOPE"))).code).toBe("InvalidArgument");
  await env.client.removeContainer("sleeper", { force: true });
  const none = await errorOf(env.client.tasks.get("sleeper"));
  expect(none.code).toBe("NotFound");
  const noContainer = await errorOf(env.client.tasks.create("nobody"));
  expect(noContainer.code).toBe("NotFound");
  expect(noContainer.message).toContain("nobody");
  expect((await errorOf(env.client.tasks.create("x", { logPath: "relative.log" }))).message).toContain(
    "must be absolute",
  );
});

test("log paths: one file, two spellings (so the shim opens it once per stream), created if missing", () => {
  const path = join(env.scratch, "logs/sub/service.log");
  const io = logStdio("t", path);
  expect(io.stdout).toBe(path);
  expect(io.stderr).toBe(`${env.scratch}/logs/sub/./service.log`);
  expect(io.stderr).not.toBe(io.stdout);
  expect(existsSync(path)).toBe(true);
  expect(logStdio("t", undefined)).toEqual({ stdout: "", stderr: "" });
  expect(() => logStdio("t", "rel.log")).toThrow("must be absolute");
});

test("both streams reach the log file, every time", async () => {
  for (let i = 0; i < 10; i++) {
    const log = join(env.scratch, `streams-${i}.log`);
    await env.client.run({
      id: `streams-${i}`,
      image: IMAGE,
      args: ["/bin/sh", "-c", "echo out; echo err >&2"],
      logPath: log,
    });
    expect(readFileSync(log, "utf8").split("\n").sort()).toEqual(["", "err", "out"]);
  }
});
