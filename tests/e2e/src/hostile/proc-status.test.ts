import { expect, test } from "bun:test";
import {
  loadAverage,
  memoryStatus,
  openFiles,
  ProcStatusError,
  parseMemoryStatus,
  resetPeak,
} from "./proc-status.ts";

test("VmRSS, VmHWM and RssAnon from a status text", () => {
  const text =
    "Name:\tapid\nVmPeak:\t  900 kB\nVmHWM:\t   73000 kB\nVmRSS:\t   72596 kB\nRssAnon:\t   24720 kB\nThreads:\t9\n";
  expect(parseMemoryStatus(text)).toEqual({ rssKiB: 72596, hwmKiB: 73000, anonKiB: 24720 });
  expect(() => parseMemoryStatus("Name:\tx\n")).toThrow(ProcStatusError);
  // A zombie (a process being reaped) has a status without memory lines.
  expect(memoryStatus(1234, () => "Name:\tapid\nState:\tZ (zombie)\n")).toBeUndefined();
});

test("this process: memory, open files, a peak reset; a process that is gone has none", async () => {
  const mine = memoryStatus(process.pid);
  expect(mine?.rssKiB).toBeGreaterThan(0);
  expect(mine?.hwmKiB).toBeGreaterThanOrEqual(mine?.rssKiB ?? 0);
  expect(openFiles(process.pid)).toBeGreaterThan(2);
  const child = Bun.spawn(["true"]);
  await child.exited;
  expect(memoryStatus(child.pid)).toBeUndefined();
  expect(openFiles(child.pid)).toBeUndefined();
  expect(loadAverage(() => "5.37 4.44 8.17 3/400 1234\n")).toBe(5.37);
});

test("resetPeak brings VmHWM back down to VmRSS after a peak", () => {
  let big: Buffer | undefined = Buffer.allocUnsafeSlow(200 << 20).fill(1);
  expect(big.length).toBe(200 << 20);
  big = undefined;
  Bun.gc(true);
  const before = memoryStatus(process.pid);
  if (before === undefined) throw new Error("no status of this process");
  expect(before.hwmKiB - before.rssKiB).toBeGreaterThan(100 << 10);
  resetPeak(process.pid);
  const after = memoryStatus(process.pid);
  if (after === undefined) throw new Error("no status of this process");
  expect(after.hwmKiB - after.rssKiB).toBeLessThan(16 << 10);
});
