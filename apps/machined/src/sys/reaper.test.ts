import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../testing/fake-clock.ts";
import { FakeSys } from "../testing/fake-sys.ts";
import { ChildTracker } from "./child-tracker.ts";
import { parseProcStat, type ReapedChild, Reaper } from "./reaper.ts";

let proc: string;

beforeEach(() => {
  proc = mkdtempSync(join(tmpdir(), "bronze-reaper-"));
});
afterEach(() => {
  rmSync(proc, { recursive: true, force: true });
});

function writeStat(pid: number, comm: string, state: string, ppid: number) {
  mkdirSync(join(proc, String(pid)), { recursive: true });
  writeFileSync(
    join(proc, String(pid), "stat"),
    `${pid} (${comm}) ${state} ${ppid} ${pid} ${pid} 0 -1 4194560 0\n`,
  );
}

function writeChildren(self: number, tid: number, pids: number[]) {
  mkdirSync(join(proc, String(self), "task", String(tid)), { recursive: true });
  writeFileSync(join(proc, String(self), "task", String(tid), "children"), pids.map((p) => `${p} `).join(""));
}

/** PID 1 with: 10 untracked zombie, 11 tracked zombie, 12 running, 13 zombie with an odd name, 14 zombie of thread 2. */
function world() {
  const sys = new FakeSys();
  sys.pid = 1;
  writeStat(1, "init", "S", 0);
  writeChildren(1, 1, [10, 11, 12, 13]);
  writeChildren(1, 2, [14]);
  writeStat(10, "sleep", "Z", 1);
  writeStat(11, "containerd", "Z", 1);
  writeStat(12, "kubelet", "S", 1);
  writeStat(13, "a) Z (b", "Z", 1);
  writeStat(14, "runc", "Z", 1);
  for (const pid of [10, 11, 13, 14]) {
    sys.addChild(pid);
    sys.exitChild(pid, pid === 14 ? null : 3, pid === 14 ? 9 : null);
  }
  sys.addChild(12);
  const tracker = new ChildTracker();
  tracker.add(11);
  return { sys, tracker };
}

describe("parseProcStat", () => {
  test("handles names with spaces and parentheses", () => {
    expect(parseProcStat("13 (a) Z (b) Z 1 13 13 0")).toEqual({ comm: "a) Z (b", state: "Z", ppid: 1 });
    expect(parseProcStat("7 (sh) S 6 7 7")).toEqual({ comm: "sh", state: "S", ppid: 6 });
    expect(parseProcStat("garbage")).toBeUndefined();
  });
});

describe("Reaper.scan", () => {
  test("reaps untracked zombies of every thread, never tracked or running children", () => {
    const { sys, tracker } = world();
    const reaper = new Reaper({ sys, tracker, procRoot: proc, confirmDelayMs: 0 });
    const reaped = reaper.scan();
    expect(reaped.map((r) => r.pid).sort()).toEqual([10, 13, 14]);
    expect(reaped.find((r) => r.pid === 13)).toEqual({ pid: 13, comm: "a) Z (b", exitCode: 3, signal: null });
    expect(reaped.find((r) => r.pid === 14)).toMatchObject({ exitCode: null, signal: 9 });
    // Only per-pid waits, never waitpid(-1).
    expect(
      sys
        .callsOf("waitpid")
        .map((a) => a[0])
        .sort(),
    ).toEqual([10, 13, 14]);
    expect(sys.children.has(11)).toBe(true); // the tracked zombie keeps its status for Bun
    expect(reaper.reapedCount).toBe(3);
  });

  test("a child collected by someone else in between (ECHILD) is skipped silently", () => {
    const { sys, tracker } = world();
    sys.children.delete(10);
    const errors: unknown[] = [];
    const reaper = new Reaper({
      sys,
      tracker,
      procRoot: proc,
      confirmDelayMs: 0,
      onError: (e) => errors.push(e),
    });
    expect(
      reaper
        .scan()
        .map((r) => r.pid)
        .sort(),
    ).toEqual([13, 14]);
    expect(errors).toEqual([]);
  });

  test("other waitpid failures are reported to onError, not thrown", () => {
    const { sys, tracker } = world();
    sys.failNext("waitpid", "EINTR", (args) => args[0] === 10);
    const errors: unknown[] = [];
    const reaper = new Reaper({
      sys,
      tracker,
      procRoot: proc,
      confirmDelayMs: 0,
      onError: (e) => errors.push(e),
    });
    expect(
      reaper
        .scan()
        .map((r) => r.pid)
        .sort(),
    ).toEqual([13, 14]);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain("EINTR");
  });

  test("without task children files it falls back to scanning /proc for our children", () => {
    const { sys, tracker } = world();
    rmSync(join(proc, "1", "task"), { recursive: true });
    writeStat(50, "elsewhere", "Z", 7); // someone else's zombie
    const reaper = new Reaper({ sys, tracker, procRoot: proc, confirmDelayMs: 0 });
    expect(reaper.children().sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14]);
    expect(
      reaper
        .scan()
        .map((r) => r.pid)
        .sort(),
    ).toEqual([10, 13, 14]);
  });

  test("with a confirm delay, a zombie is only reaped after it stayed a zombie that long", async () => {
    const { sys, tracker } = world();
    const clock = new FakeClock();
    const reaper = new Reaper({ sys, tracker, procRoot: proc, clock, confirmDelayMs: 500 });
    expect(reaper.scan()).toEqual([]);
    await clock.advance(499);
    expect(reaper.scan()).toEqual([]);
    await clock.advance(1);
    expect(
      reaper
        .scan()
        .map((r) => r.pid)
        .sort(),
    ).toEqual([10, 13, 14]);
  });

  test("a candidate that disappears (collected by Bun) is forgotten", async () => {
    const { sys, tracker } = world();
    const clock = new FakeClock();
    const reaper = new Reaper({ sys, tracker, procRoot: proc, clock, confirmDelayMs: 500 });
    reaper.scan();
    rmSync(join(proc, "10"), { recursive: true });
    sys.children.delete(10);
    await clock.advance(500);
    expect(
      reaper
        .scan()
        .map((r) => r.pid)
        .sort(),
    ).toEqual([13, 14]);
  });
});

describe("Reaper.start", () => {
  test("SIGCHLD triggers a debounced scan; the confirm rescan is scheduled by itself", async () => {
    const { sys, tracker } = world();
    const clock = new FakeClock();
    let handler: (() => void) | undefined;
    let unsubscribed = false;
    const reaped: ReapedChild[] = [];
    const reaper = new Reaper({
      sys,
      tracker,
      procRoot: proc,
      clock,
      confirmDelayMs: 300,
      debounceMs: 20,
      intervalMs: 60_000,
      sigchld: (h) => {
        handler = h;
        return () => {
          unsubscribed = true;
        };
      },
      onReap: (c) => {
        reaped.push(c);
        rmSync(join(proc, String(c.pid)), { recursive: true }); // as the kernel does
      },
    });
    reaper.start();
    expect(handler).toBeDefined();
    await clock.advance(20); // initial scan: candidates noted
    expect(reaped).toEqual([]);
    await clock.advance(300); // confirm rescan
    expect(reaped.map((r) => r.pid).sort()).toEqual([10, 13, 14]);

    // A new orphan dies: SIGCHLD, several times (coalesced into one scan).
    writeStat(20, "orphan", "Z", 1);
    writeChildren(1, 1, [11, 12, 20]);
    sys.addChild(20);
    sys.exitChild(20, 0);
    const waitsBefore = sys.callsOf("waitpid").length;
    handler?.();
    handler?.();
    handler?.();
    await clock.advance(20 + 300);
    expect(reaped.map((r) => r.pid)).toContain(20);
    expect(sys.callsOf("waitpid").length - waitsBefore).toBe(1);

    reaper.stop();
    expect(unsubscribed).toBe(true);
    expect(clock.pending).toBe(0);
  });

  test("the safety-net interval scans without any signal", async () => {
    const { sys, tracker } = world();
    const clock = new FakeClock();
    const reaper = new Reaper({
      sys,
      tracker,
      procRoot: proc,
      clock,
      confirmDelayMs: 0,
      intervalMs: 1000,
      sigchld: () => () => {},
    });
    reaper.start();
    await clock.advance(20);
    expect(reaper.reapedCount).toBe(3);
    writeStat(21, "late", "Z", 1);
    writeChildren(1, 1, [21]);
    sys.addChild(21);
    sys.exitChild(21, 1);
    await clock.advance(1000);
    expect(reaper.reapedCount).toBe(4);
    reaper.stop();
  });
});

describe("ChildTracker", () => {
  test("trackUntil forgets the pid once the exit promise settles", async () => {
    const tracker = new ChildTracker();
    let resolve: (v: number) => void = () => {};
    tracker.trackUntil(5, new Promise<number>((r) => (resolve = r)));
    expect(tracker.has(5)).toBe(true);
    resolve(0);
    await Promise.resolve();
    await Promise.resolve();
    expect(tracker.has(5)).toBe(false);
    expect(tracker.size).toBe(0);
  });
});
