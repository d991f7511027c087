import { afterAll, expect, test } from "bun:test";
import {
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "@bronze/testing";
import { systemClock } from "../../clock.ts";
import { FakeClock } from "../../testing/fake-clock.ts";
import {
  ARGS_HIDDEN,
  ARGS_UNREADABLE,
  CMDLINE_TIMEOUT_MS,
  ProcessTable,
  parseProcess,
} from "./process-info.ts";

const STAT =
  "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 12345 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";

test("parses stat fields after the last parenthesis, and the cmdline", () => {
  const p = parseProcess(STAT, "/usr/bin/thing\0--flag\0value\0");
  expect(p?.pid).toBe(4242);
  expect(p?.ppid).toBe(1);
  expect(p?.state).toBe("S");
  expect(p?.command).toBe("my (odd) cmd");
  expect(p?.threads).toBe(3);
  expect(p?.cpuTime).toBeCloseTo(3.0);
  expect(p?.virtualMemory).toBe(104857600n);
  expect(p?.residentMemory).toBe(2560n * 4096n);
  expect(p?.executable).toBe("/usr/bin/thing");
  expect(p?.args).toBe("--flag value");
});

test("kernel threads have an empty cmdline; malformed stat is rejected", () => {
  expect(parseProcess("2 (kthreadd) S 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0", "")?.executable).toBe("");
  expect(parseProcess("garbage", "")).toBeUndefined();
  expect(parseProcess("12 (x) S", "")).toBeUndefined();
});

const root = mkdtempSync(join(tmpdir(), "bronze-proc-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("lists numeric directories of a proc root, skipping vanished and malformed ones", async () => {
  for (const [pid, stat] of [
    ["10", STAT.replace("4242 (", "10 (")],
    ["2", "2 (kthreadd) S 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0"],
    ["7", "broken"],
  ] as const) {
    mkdirSync(join(root, pid));
    writeFileSync(join(root, pid, "stat"), stat);
    writeFileSync(join(root, pid, "cmdline"), pid === "10" ? "a\0--token=s3cret\0" : "");
  }
  symlinkSync("/usr/bin/a", join(root, "10", "exe")); // kthreadd (2) has no executable
  mkdirSync(join(root, "99")); // exited: no stat
  mkdirSync(join(root, "self"));
  const table = new ProcessTable(root, systemClock);
  const full = await table.list({ commandLines: true });
  expect(full.map((p) => p.pid)).toEqual([2, 10]);
  expect(full[1]?.executable).toBe("a");
  expect(full[1]?.args).toBe("--token=s3cret");
  // Without command lines: the executable's path, the arguments marked hidden (none for a kernel thread).
  const bare = await table.list({ commandLines: false });
  expect(bare.map((p) => [p.pid, p.command, p.executable, p.args])).toEqual([
    [2, "kthreadd", "", ""],
    [10, "my (odd) cmd", "/usr/bin/a", ARGS_HIDDEN],
  ]);
});

test("a command line that does not come is reported unreadable after the timeout, and not read again while stuck", async () => {
  const stuck = mkdtempSync(join(tmpdir(), "bronze-proc-stuck-"));
  mkdirSync(join(stuck, "5"));
  writeFileSync(join(stuck, "5", "stat"), STAT.replace("4242 (", "5 ("));
  // A FIFO with no writer stands for a cmdline whose read waits on the process's mmap lock.
  const fifo = join(stuck, "5", "cmdline");
  Bun.spawnSync(["mkfifo", fifo]);
  const clock = new FakeClock();
  const table = new ProcessTable(stuck, clock);
  try {
    const listing = table.list({ commandLines: true });
    await eventually("the listing waits on its deadline", () => clock.pending === 1);
    await clock.advance(CMDLINE_TIMEOUT_MS);
    const [p] = await listing;
    expect([p?.pid, p?.command, p?.args]).toEqual([5, "my (odd) cmd", ARGS_UNREADABLE]);
    expect(table.reading).toBe(1);
    // The next listing does not start a second read of it: it answers at once.
    const [again] = await table.list({ commandLines: true });
    expect(again?.args).toBe(ARGS_UNREADABLE);
    expect(table.reading).toBe(1);
  } finally {
    // A writer ends the stuck read.
    const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    closeSync(fd);
    await eventually("the stuck read ended", () => table.reading === 0);
    rmSync(stuck, { recursive: true, force: true });
  }
});

test("the real /proc lists this test process", async () => {
  const me = (await new ProcessTable("/proc", systemClock).list({ commandLines: true })).find(
    (p) => p.pid === process.pid,
  );
  expect(me).toBeDefined();
  expect(me?.residentMemory).toBeGreaterThan(0n);
  expect(me?.ppid).toBe(process.ppid);
  expect(me?.executable).toBe(process.argv0);
});
