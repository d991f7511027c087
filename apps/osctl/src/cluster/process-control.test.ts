import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive, spawnDetached, stopProcess } from "./process-control.ts";

test("a detached process writes to its log, leads its own group and is stopped with its children", async () => {
  const dir = mkdtempSync(join(tmpdir(), "osctl-proc-"));
  try {
    const log = join(dir, "out.log");
    // The shell starts a child of its own: stopping the group must take both.
    const { pid, child } = spawnDetached(
      ["sh", "-c", `echo started; sleep 300 & echo $! > ${join(dir, "child")}; wait`],
      log,
    );
    child.on("exit", () => {}); // reaped by us, so it does not linger as a zombie
    for (let i = 0; i < 100 && !readFileSync(log, "utf8").includes("started"); i++) await Bun.sleep(20);
    expect(readFileSync(log, "utf8")).toContain("started");
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    expect(pgrp).toBe(pid);
    for (let i = 0; i < 100; i++) {
      try {
        readFileSync(join(dir, "child"));
        break;
      } catch {
        await Bun.sleep(20);
      }
    }
    const grandchild = Number(readFileSync(join(dir, "child"), "utf8"));
    expect(isAlive(grandchild)).toBe(true);
    expect(await stopProcess(pid, 2_000)).toBe(true);
    for (let i = 0; i < 50 && isAlive(grandchild); i++) await Bun.sleep(20);
    expect(isAlive(grandchild)).toBe(false);
    expect(isAlive(pid)).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("stopping a process that is gone succeeds at once", async () => {
  expect(isAlive(2 ** 22 + 12345)).toBe(false);
  expect(await stopProcess(2 ** 22 + 12345)).toBe(true);
});
