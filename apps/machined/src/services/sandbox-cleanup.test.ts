import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeSandboxNamespaceDirs } from "./sandbox-cleanup.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-sandbox-cleanup-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("empty runc and cgroup directories of the namespace go; anything not empty stays", () => {
  const runcRoot = join(dir, "runc");
  const cgroupRoot = join(dir, "cgroup");
  for (const d of [
    "runc/system-a",
    "cgroup/memory/system-a",
    "cgroup/pids/system-a/apid",
    "cgroup/cpu/other",
  ]) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  writeFileSync(join(cgroupRoot, "not-a-dir"), "");
  const removed = removeSandboxNamespaceDirs("system-a", { runcRoot, cgroupRoot });
  expect(removed.sort()).toEqual([join(cgroupRoot, "memory/system-a"), join(runcRoot, "system-a")]);
  expect(existsSync(join(cgroupRoot, "pids/system-a/apid"))).toBe(true);
  expect(existsSync(join(cgroupRoot, "cpu/other"))).toBe(true);
  expect(removeSandboxNamespaceDirs("system-b", { runcRoot, cgroupRoot })).toEqual([]);
});
