import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../clock.ts";
import type { LogSink, LogStream } from "../service.ts";
import { Supervisor } from "../supervisor.ts";
import { createBunSpawn } from "./bun-spawn.ts";
import { ProcessRunner } from "./process-runner.ts";
import { RunnerError } from "./runner-error.ts";

const spawn = createBunSpawn();
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "bronze-proc-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function sink() {
  const lines: Array<[LogStream, string]> = [];
  const log: LogSink = { line: (s, t) => lines.push([s, t]) };
  return { lines, log };
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function eventually(check: () => boolean, ms = 3000): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (check()) return true;
    await Bun.sleep(20);
  }
  return check();
}

describe("ProcessRunner", () => {
  test("stdout and stderr lines land in the ring buffer and the log file", async () => {
    const logDir = join(dir, "log");
    const sup = new Supervisor({ logDir });
    sup.register({
      id: "echo",
      dependsOn: [],
      restart: "once",
      runner: new ProcessRunner({ cmd: ["sh", "-c", "echo hi; echo err >&2"], spawn }),
    });
    sup.start("echo");
    const status = await sup.waitFor("echo", (s) => s.state === "Finished" || s.state === "Failed");
    expect(status).toMatchObject({
      state: "Finished",
      message: "Exited successfully",
      lastExit: { code: 0 },
    });
    const lines = sup
      .logs("echo")
      .tail()
      .map((l) => [l.stream, l.text]);
    expect(lines).toHaveLength(2);
    expect(lines).toContainEqual(["stdout", "hi"]);
    expect(lines).toContainEqual(["stderr", "err"]);
    sup.close();
    const file = readFileSync(join(logDir, "echo.log"), "utf8");
    expect(file.split("\n").sort()).toEqual(["", "err", "hi"]);
    expect(sup.logFile("echo")).toBe(join(logDir, "echo.log"));
  });

  test("all output written before exit is captured", async () => {
    const { lines, log } = sink();
    const runner = new ProcessRunner({
      cmd: ["sh", "-c", "i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo line $i; done"],
      spawn,
    });
    const h = await runner.start({ id: "chatty", log });
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(lines).toHaveLength(3000);
    expect(lines[2999]).toEqual(["stdout", "line 3000"]);
  });

  test("exit codes, env, cwd, uid and gid", async () => {
    const { lines, log } = sink();
    const runner = new ProcessRunner({
      cmd: ["sh", "-c", 'echo "$FOO"; pwd; id -u; id -g; exit 3'],
      env: { PATH: "/usr/bin:/bin", FOO: "bar" },
      cwd: dir,
      uid: 65534,
      gid: 65534,
      spawn,
    });
    const h = await runner.start({ id: "ids", log });
    expect(h.pid).toBeGreaterThan(0);
    expect(await h.exited).toEqual({ code: 3, signal: null });
    expect(lines.map((l) => l[1])).toEqual(["bar", dir, "65534", "65534"]);
  });

  test("a missing program is a RunnerError; through the supervisor, a Failed state", async () => {
    const runner = new ProcessRunner({ cmd: [join(dir, "no-such-daemon")], spawn });
    let err: unknown;
    try {
      await runner.start({ id: "x", log: sink().log });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RunnerError);
    expect((err as RunnerError).code).toBe("SpawnFailed");
    expect((err as RunnerError).message).toContain(`cannot start ${join(dir, "no-such-daemon")}`);

    const sup = new Supervisor();
    sup.register({ id: "ghost", dependsOn: [], restart: "once", runner });
    sup.start("ghost");
    const status = await sup.waitFor("ghost", (s) => s.state === "Failed");
    expect(status.message).toStartWith(`Failed to start: cannot start ${join(dir, "no-such-daemon")}`);
  });

  test("a cooperative process stops on SIGTERM, well within the grace period", async () => {
    const runner = new ProcessRunner({ cmd: ["sleep", "30"], spawn });
    const h = await runner.start({ id: "sleep", log: sink().log });
    const t0 = performance.now();
    expect(await h.stop(5000)).toEqual({ code: null, signal: "SIGTERM" });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(await h.stop(5000)).toEqual({ code: null, signal: "SIGTERM" }); // stopping again is harmless
  });

  test("a process ignoring SIGTERM is SIGKILLed after the grace period, with its children", async () => {
    const sup = new Supervisor({ clock: systemClock });
    sup.register({
      id: "stubborn",
      dependsOn: [],
      restart: "forever",
      runner: new ProcessRunner({ cmd: ["sh", "-c", 'trap "" TERM; sleep 30 & echo $!; wait'], spawn }),
    });
    sup.start("stubborn");
    await sup.waitFor("stubborn", (s) => s.state === "Running");
    const logs = sup.logs("stubborn");
    expect(await eventually(() => logs.tail().length > 0)).toBe(true);
    const sleeper = Number(logs.tail()[0]?.text);
    const shell = sup.status("stubborn").pid as number;
    expect(alive(sleeper)).toBe(true);

    const t0 = performance.now();
    await sup.stop("stubborn", { graceMs: 300 });
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(3000);
    expect(sup.status("stubborn")).toMatchObject({
      state: "Finished",
      message: "Stopped: Killed by SIGKILL",
    });
    expect(logs.tail().map((l) => l.text)).toContain("still running 300 ms after SIGTERM: sending SIGKILL");
    expect(alive(shell)).toBe(false);
    expect(await eventually(() => !alive(sleeper))).toBe(true);
    expect(sup.events.tail(10, "stubborn").map((e) => e.state)).toEqual(["Running", "Stopping", "Finished"]);
  });

  test("a grandchild holding the pipes does not hold up the exit status", async () => {
    const { lines, log } = sink();
    const runner = new ProcessRunner({ cmd: ["sh", "-c", "sleep 5 & echo $!"], spawn, drainTimeoutMs: 200 });
    const h = await runner.start({ id: "leaky", log });
    const t0 = performance.now();
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(performance.now() - t0).toBeLessThan(2000);
    const sleeper = Number(lines[0]?.[1]);
    expect(sleeper).toBeGreaterThan(0);
    process.kill(sleeper, "SIGKILL");
  });

  test("an empty command is refused", () => {
    expect(() => new ProcessRunner({ cmd: [], spawn })).toThrow(RunnerError);
  });
});

test("log files are rotated at a small size by the supervisor", async () => {
  const logDir = join(dir, "rotate");
  const sup = new Supervisor({ logDir, logFileMaxBytes: 1000 });
  sup.register({
    id: "noisy",
    dependsOn: [],
    restart: "once",
    runner: new ProcessRunner({
      cmd: ["sh", "-c", "i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo message-$i; done"],
      spawn,
    }),
  });
  sup.start("noisy");
  await sup.waitFor("noisy", (s) => s.state === "Finished");
  sup.close();
  const current = readFileSync(join(logDir, "noisy.log"), "utf8");
  const previous = readFileSync(join(logDir, "noisy.log.1"), "utf8");
  expect(Buffer.byteLength(current)).toBeLessThanOrEqual(1000);
  expect(Buffer.byteLength(previous)).toBeLessThanOrEqual(1000);
  expect(current.endsWith("message-300\n")).toBe(true);
  // .1 holds the lines just before the current file's first line.
  const firstCurrent = Number(current.split("\n")[0]?.replace("message-", ""));
  const lastPrevious = previous.trim().split("\n").at(-1);
  expect(lastPrevious).toBe(`message-${firstCurrent - 1}`);
  expect(existsSync(join(logDir, "noisy.log.2"))).toBe(false);
});
