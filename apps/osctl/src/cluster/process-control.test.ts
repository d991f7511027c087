import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, waitFor } from "@bronze/testing";
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
    await eventually("started in the log", () => readFileSync(log, "utf8").includes("started"), 5000, 20);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    expect(pgrp).toBe(pid);
    const grandchild = await waitFor(() => Number(readFileSync(join(dir, "child"), "utf8")) || undefined, {
      what: "the child's pid written",
      timeoutMs: 5000,
      intervalMs: 20,
    });
    expect(isAlive(grandchild)).toBe(true);
    expect(await stopProcess(pid, 2_000)).toBe(true);
    await eventually("the grandchild gone", () => !isAlive(grandchild), 5000, 20);
    expect(isAlive(pid)).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("stopping a process that is gone succeeds at once", async () => {
  expect(isAlive(2 ** 22 + 12345)).toBe(false);
  expect(await stopProcess(2 ** 22 + 12345)).toBe(true);
});
