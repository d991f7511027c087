import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { parseMeminfo } from "./meminfo.ts";

const SAMPLE = `MemTotal:       16318208 kB
MemFree:         1234567 kB
MemAvailable:    9876543 kB
Active(anon):     111111 kB
Inactive(file):   222222 kB
NFS_Unstable:          0 kB
Committed_AS:    3333333 kB
HugePages_Total:       4
Hugepagesize:       2048 kB
DirectMap1G:     8388608 kB
Zswap:               7 kB
garbage line
`;

test("maps /proc/meminfo keys onto MemInfo fields", () => {
  const m = parseMeminfo(SAMPLE);
  expect(m.memtotal).toBe(16318208n);
  expect(m.memfree).toBe(1234567n);
  expect(m.memavailable).toBe(9876543n);
  expect(m.activeanon).toBe(111111n);
  expect(m.inactivefile).toBe(222222n);
  expect(m.committedas).toBe(3333333n);
  expect(m.hugepagestotal).toBe(4n);
  expect(m.hugepagesize).toBe(2048n);
  expect(m.directmap1g).toBe(8388608n);
  expect(m.swaptotal).toBe(0n);
});

test("the real /proc/meminfo has a total no smaller than what is free", () => {
  const m = parseMeminfo(readFileSync("/proc/meminfo", "utf8"));
  expect(m.memtotal).toBeGreaterThan(0n);
  expect(m.memfree).toBeLessThanOrEqual(m.memtotal);
  expect(m.memavailable).toBeGreaterThan(0n);
});
