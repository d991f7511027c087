import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "@bronze/testing";
import { FakeClock } from "../../testing/fake-clock.ts";
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

  test("a cooperative process stops on SIGTERM, before the grace period ends", async () => {
    // The grace period runs on a clock that never moves: only SIGTERM can end the process.
    const { lines, log } = sink();
    const runner = new ProcessRunner({ cmd: ["sleep", "30"], spawn, clock: new FakeClock() });
    const h = await runner.start({ id: "sleep", log });
    expect(await h.stop(5000)).toEqual({ code: null, signal: "SIGTERM" });
    expect(lines).toEqual([]); // no "sending SIGKILL"
    expect(await h.stop(5000)).toEqual({ code: null, signal: "SIGTERM" }); // stopping again is harmless
  });

  test("a process ignoring SIGTERM is SIGKILLed when the grace period ends, with its children", async () => {
    const clock = new FakeClock();
    const sup = new Supervisor();
    sup.register({
      id: "stubborn",
      dependsOn: [],
      restart: "forever",
      runner: new ProcessRunner({
        cmd: ["sh", "-c", 'trap "" TERM; sleep 30 & echo $!; wait'],
        spawn,
        clock,
      }),
    });
    sup.start("stubborn");
    await sup.waitFor("stubborn", (s) => s.state === "Running");
    const logs = sup.logs("stubborn");
    // The pid is printed after the trap is set: from here on the shell ignores SIGTERM.
    await eventually("the sleeper's pid in the log", () => logs.tail().length > 0, 3000, 20);
    const sleeper = Number(logs.tail()[0]?.text);
    const shell = sup.status("stubborn").pid as number;
    expect(alive(sleeper)).toBe(true);

    const stopped = sup.stop("stubborn", { graceMs: 300 });
    await eventually("the grace period armed", () => clock.pending === 1, 3000, 5);
    expect(sup.status("stubborn").state).toBe("Stopping");
    await clock.advance(299);
    expect(logs.tail().map((l) => l.text)).not.toContain(
      "still running 300 ms after SIGTERM: sending SIGKILL",
    );
    await clock.advance(1);
    await stopped;
    expect(sup.status("stubborn")).toMatchObject({
      state: "Finished",
      message: "Stopped: Killed by SIGKILL",
    });
    expect(logs.tail().map((l) => l.text)).toContain("still running 300 ms after SIGTERM: sending SIGKILL");
    expect(alive(shell)).toBe(false);
    await eventually("the sleeper killed with its group", () => !alive(sleeper), 3000, 20);
    expect(sup.events.tail(10, "stubborn").map((e) => e.state)).toEqual(["Running", "Stopping", "Finished"]);
  });

  test("a grandchild holding the pipes does not hold up the exit status past the drain timeout", async () => {
    const clock = new FakeClock();
    const { lines, log } = sink();
    const runner = new ProcessRunner({
      cmd: ["sh", "-c", "sleep 30 & echo $!"],
      spawn,
      drainTimeoutMs: 200,
      clock,
    });
    const h = await runner.start({ id: "leaky", log });
    let exited = false;
    void h.exited.then(() => {
      exited = true;
    });
    // sh has exited; its output is read; the pipes stay open (sleep holds them): the drain wait runs.
    await eventually("the drain wait armed", () => clock.pending === 1 && lines.length === 1, 3000, 5);
    const sleeper = Number(lines[0]?.[1]);
    expect(sleeper).toBeGreaterThan(0);
    try {
      await clock.advance(199);
      expect(exited).toBe(false);
      await clock.advance(1);
      expect(await h.exited).toEqual({ code: 0, signal: null });
      expect(alive(sleeper)).toBe(true); // still holding the pipes: the status did not wait for it
    } finally {
      process.kill(sleeper, "SIGKILL");
    }
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
