import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerdClient } from "@bronze/containerd-client";
import {
  makeBusyboxRootfs,
  startTestContainerd,
  type TestContainerd,
} from "@bronze/containerd-client/testing";
import { isAlive as alive, eventually, waitFor } from "@bronze/testing";
import type { Clock } from "../../clock.ts";
import { clearStaleTaskBundle } from "../../services/stale-task-bundle.ts";
import { LibcSys } from "../../sys/libc-sys.ts";
import { FakeClock } from "../../testing/fake-clock.ts";
import type { LogSink, LogStream } from "../service.ts";
import { Supervisor } from "../supervisor.ts";
import { ContainerdRunner, exitFromContainerd, TASK_START_TIMEOUT_MS } from "./containerd-runner.ts";
import { RunnerError } from "./runner-error.ts";

let containerd: TestContainerd;
let client: ContainerdClient;
let dir: string;
let rootfs: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "bronze-ctr-runner-"));
  rootfs = makeBusyboxRootfs(join(dir, "rootfs"));
  containerd = await startTestContainerd();
  // The harness's own namespace and runc root: never the host's "system" (machined's).
  client = await containerd.connect();
});

afterAll(async () => {
  client?.close();
  await containerd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function sink() {
  const lines: Array<[LogStream, string]> = [];
  const log: LogSink = { line: (s, t) => lines.push([s, t]) };
  return { lines, log };
}

function runner(
  id: string,
  args: string[],
  options: { clearStaleTask?: (id: string) => void; clock?: Clock } = {},
) {
  return new ContainerdRunner({
    client: async () => client,
    container: () => ({ rootfs, args, readOnlyRootfs: true, capabilities: [], uid: 65534, gid: 65534 }),
    logPath: join(dir, "logs", `${id}.log`),
    tailIntervalMs: 50,
    ...options,
  });
}

/** The runner tails the container's log on its clock: moves a fake one until `text` is read. */
function readOnClock(clock: FakeClock, lines: Array<[LogStream, string]>, text: string) {
  return waitFor(
    async () => {
      await clock.advance(50);
      return lines.some(([, t]) => t === text) ? true : undefined;
    },
    { what: `the line ${JSON.stringify(text)}`, timeoutMs: 15_000, intervalMs: 20 },
  );
}

describe("exitFromContainerd", () => {
  test("128 + a known signal is a kill, anything else an exit code", () => {
    expect(exitFromContainerd(3)).toEqual({ code: 3, signal: null });
    expect(exitFromContainerd(137)).toEqual({ code: null, signal: "SIGKILL" });
    expect(exitFromContainerd(143)).toEqual({ code: null, signal: "SIGTERM" });
    expect(exitFromContainerd(200)).toEqual({ code: 200, signal: null });
  });
});

describe("ContainerdRunner", () => {
  test("a container that prints and exits 3: exit code 3, its lines in the log, nothing left", async () => {
    const { lines, log } = sink();
    const handle = await runner("exits", [
      "/bin/sh",
      "-c",
      "echo hello from the container; echo oops >&2; exit 3",
    ]).start({
      id: "exits",
      log,
    });
    expect(handle.pid).toBeGreaterThan(0);
    expect(await handle.exited).toEqual({ code: 3, signal: null });
    const texts = lines.map(([, t]) => t);
    expect(texts).toContain("hello from the container");
    expect(texts).toContain("oops");
    expect(await client.containers.list()).toEqual([]);
    expect(await client.tasks.list()).toEqual([]);
  });

  test("stop ends a `sleep 30` with SIGTERM, before the grace period ends", async () => {
    const clock = new FakeClock();
    const { lines, log } = sink();
    // sh as PID 1 ignores SIGTERM unless it traps it: trap it so that the graceful path is taken.
    const handle = await runner(
      "sleeper",
      ["/bin/sh", "-c", "trap 'echo got TERM; exit 0' TERM; echo sleeping; sleep 30 & wait"],
      { clock },
    ).start({ id: "sleeper", log });
    // "sleeping" is printed once the trap is set.
    await readOnClock(clock, lines, "sleeping");
    // The clock stands still from here: the grace period never ends, only the trap can end the task.
    const exit = await handle.stop(5000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(lines.map(([, t]) => t)).toEqual(["sleeping", "got TERM"]);
    expect(await client.containers.list()).toEqual([]);
  });

  test("stop escalates to SIGKILL when the grace period ends", async () => {
    const clock = new FakeClock();
    const { lines, log } = sink();
    const handle = await runner("stubborn", ["/bin/sleep", "30"], { clock }).start({ id: "stubborn", log });
    // PID 1 of a namespace ignores SIGTERM without a handler: only SIGKILL ends it.
    const stopping = handle.stop(500);
    // Two sleeps wait on the clock once SIGTERM is sent: the log tail's and the grace period's.
    await eventually("the grace period armed", () => clock.pending === 2, 10_000, 5);
    await clock.advance(499);
    expect(lines).toEqual([]);
    expect((await client.tasks.get("stubborn")).status).toBe("running");
    await clock.advance(1);
    expect(await stopping).toEqual({ code: null, signal: "SIGKILL" });
    expect(lines).toEqual([["system", "still running 500 ms after SIGTERM: sending SIGKILL"]]);
    expect(await client.containers.list()).toEqual([]);
  });

  test("the task is given TASK_START_TIMEOUT_MS to start, not the client's 30 s default", async () => {
    const deadlines: Array<number | undefined> = [];
    const recording = new Proxy(client, {
      get(target, key, receiver) {
        if (key !== "startTask") return Reflect.get(target, key, receiver);
        return (id: string, options: Parameters<ContainerdClient["startTask"]>[1]) => {
          deadlines.push(options?.timeoutMs);
          return target.startTask(id, options);
        };
      },
    });
    const { log } = sink();
    const handle = await new ContainerdRunner({
      client: async () => recording,
      container: () => ({ rootfs, args: ["/bin/true"], capabilities: [], uid: 65534, gid: 65534 }),
      logPath: join(dir, "logs", "deadline.log"),
      tailIntervalMs: 50,
    }).start({ id: "deadline", log });
    expect(await handle.exited).toEqual({ code: 0, signal: null });
    expect(TASK_START_TIMEOUT_MS).toBeGreaterThan(30_000);
    expect(deadlines).toEqual([TASK_START_TIMEOUT_MS]);
  });

  test("a task directory left by a cancelled create blocks the id until clearStaleTask removes it", async () => {
    // what containerd 1.6 leaves when a create's deadline cancels it midway
    const bundle = join(containerd.state, "io.containerd.runtime.v2.task", client.namespace, "leftover");
    mkdirSync(bundle, { recursive: true });
    writeFileSync(join(bundle, "config.json"), "{}");
    const blocked = await runner("leftover", ["/bin/true"])
      .start({ id: "leftover", log: sink().log })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(blocked).toBeInstanceOf(RunnerError);
    expect(String(blocked)).toContain("file exists");

    const cleared: string[] = [];
    const { lines, log } = sink();
    const handle = await runner("leftover", ["/bin/sh", "-c", "echo started anew"], {
      clearStaleTask: (id) => {
        cleared.push(id);
        clearStaleTaskBundle(
          [join(containerd.state, "io.containerd.runtime.v2.task", client.namespace, id)],
          {
            sys: new LibcSys(),
            log: (line) => lines.push(["stdout", line]),
          },
        );
      },
    }).start({ id: "leftover", log });
    expect(await handle.exited).toEqual({ code: 0, signal: null });
    expect(cleared).toEqual(["leftover"]);
    expect(lines.map(([, t]) => t)).toContain("started anew");
    expect(lines.map(([, t]) => t)).toContain(
      `removed the stale task directory ${bundle} (left by a cancelled create)`,
    );
  });

  test("a stale container with the same id is replaced", async () => {
    await client.createContainer({ id: "stale", rootfs, args: ["/bin/sleep", "30"] });
    await client.startTask("stale");
    const { lines, log } = sink();
    const handle = await runner("stale", ["/bin/echo", "fresh"]).start({ id: "stale", log });
    expect(await handle.exited).toEqual({ code: 0, signal: null });
    expect(lines.map(([, t]) => t)).toContain("fresh");
    expect(await client.containers.list()).toEqual([]);
  });

  test("a container that cannot start is a RunnerError and leaves nothing", async () => {
    const { log } = sink();
    const start = runner("missing", ["/bin/no-such-program"]).start({ id: "missing", log });
    await expect(start).rejects.toBeInstanceOf(RunnerError);
    await expect(start).rejects.toThrow("cannot start container missing");
    expect(await client.containers.list()).toEqual([]);
  });
});

// Last in this file: it kills and restarts the file's containerd.
test("containerd killed (-9) under a running container service: the service stays Running and re-attaches to the same task", async () => {
  const supervisor = new Supervisor({ stopGraceMs: 500 });
  supervisor.register({
    id: "survivor",
    dependsOn: [],
    restart: "forever",
    runner: runner("survivor", ["/bin/sleep", "300"]),
  });
  supervisor.start("survivor");
  const pid = (
    await supervisor.waitFor("survivor", (s) => s.state === "Running", AbortSignal.timeout(20_000))
  ).pid as number;
  expect(pid).toBeGreaterThan(0);
  try {
    await containerd.stopDaemon({ kill: true });
    const down = await supervisor.waitFor(
      "survivor",
      (s) => s.message.startsWith("containerd is unavailable"),
      AbortSignal.timeout(20_000),
    );
    expect(down).toMatchObject({ state: "Running", runs: 1, pid });
    expect(down.message).toBe(
      `containerd is unavailable: the task (pid ${pid}) runs on; re-attaching to it once containerd is back`,
    );
    expect(alive(pid)).toBe(true);
  } finally {
    await containerd.startDaemon();
  }
  const back = await supervisor.waitFor(
    "survivor",
    (s) => s.message.startsWith("Re-attached"),
    AbortSignal.timeout(20_000),
  );
  // the same run and task: no restart, no new container
  expect(back).toMatchObject({ state: "Running", runs: 1, pid });
  expect(back.message).toBe(`Re-attached to the task (pid ${pid}) after containerd came back`);
  expect(alive(pid)).toBe(true);
  expect((await client.tasks.list()).map((t) => [t.containerId, t.pid, t.status])).toEqual([
    ["survivor", pid, "running"],
  ]);
  expect(supervisor.events.tail().map((e) => e.state)).toEqual(["Running", "Running", "Running"]);
  // the re-attached wait still sees the task end
  await supervisor.stopAll();
  expect(supervisor.status("survivor")).toMatchObject({
    state: "Finished",
    message: "Stopped: Killed by SIGKILL",
  });
  expect(alive(pid)).toBe(false);
  expect(await client.containers.list()).toEqual([]);
});
