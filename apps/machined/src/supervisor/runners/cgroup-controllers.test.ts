// On a plain directory laid out like cgroup v2 (this host's unified hierarchy is not delegated to
// tests), with the writes to cgroup.subtree_control recorded.
import { afterEach, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { enableServiceControllers } from "./cgroup-controllers.ts";

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("enables the available controllers at every level down to the group; nothing twice", () => {
  dir = mkdtempSync(join(tmpdir(), "cgctl-"));
  writeFileSync(join(dir, "cgroup.controllers"), "cpuset cpu io memory pids\n");
  writeFileSync(join(dir, "cgroup.subtree_control"), "memory\n");
  mkdirSync(join(dir, "system"));
  writeFileSync(join(dir, "system", "cgroup.controllers"), "cpu memory\n");
  writeFileSync(join(dir, "system", "cgroup.subtree_control"), "");
  const writes: string[] = [];
  const problems = enableServiceControllers(dir, "system", undefined, (path, text) => {
    writes.push(`${path.slice(dir.length)} ${text}`);
  });
  expect(problems).toEqual([]);
  // memory was enabled at the root already; system offers no pids controller.
  expect(writes).toEqual([
    "/cgroup.subtree_control +cpu",
    "/cgroup.subtree_control +pids",
    "/system/cgroup.subtree_control +cpu",
    "/system/cgroup.subtree_control +memory",
  ]);
});

test("a group that cannot be created is reported, not thrown", () => {
  dir = mkdtempSync(join(tmpdir(), "cgctl-"));
  writeFileSync(join(dir, "file"), "");
  const problems = enableServiceControllers(join(dir, "file"), "system");
  expect(readFileSync(join(dir, "file"), "utf8")).toBe("");
  expect(problems).toHaveLength(1);
  expect(problems[0]).toStartWith(`cannot create ${join(dir, "file", "system")}:`);
  expect(existsSync(join(dir, "file", "system"))).toBe(false);
});
