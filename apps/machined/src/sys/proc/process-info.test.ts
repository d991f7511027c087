import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listProcesses, parseProcess } from "./process-info.ts";

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

test("lists numeric directories of a proc root, skipping vanished and malformed ones", () => {
  for (const [pid, stat] of [
    ["10", STAT.replace("4242 (", "10 (")],
    ["2", "2 (kthreadd) S 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0"],
    ["7", "broken"],
  ] as const) {
    mkdirSync(join(root, pid));
    writeFileSync(join(root, pid, "stat"), stat);
    writeFileSync(join(root, pid, "cmdline"), pid === "10" ? "a\0b\0" : "");
  }
  mkdirSync(join(root, "99")); // exited: no stat
  mkdirSync(join(root, "self"));
  const list = listProcesses(root);
  expect(list.map((p) => p.pid)).toEqual([2, 10]);
  expect(list[1]?.args).toBe("b");
});

test("the real /proc lists this test process", () => {
  const me = listProcesses("/proc").find((p) => p.pid === process.pid);
  expect(me).toBeDefined();
  expect(me?.residentMemory).toBeGreaterThan(0n);
  expect(me?.ppid).toBe(process.ppid);
});
