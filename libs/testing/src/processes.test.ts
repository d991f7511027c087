import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { isAlive, killProcesses, processesInCgroup, processesMentioning } from "./processes.ts";
import { eventually } from "./wait-for.ts";

test("finds a child by a marker in its command line, kills it, and no longer lists it", async () => {
  const marker = `bronze-marker-${process.pid}-${Date.now()}`;
  const tagged = Bun.spawn([process.execPath, "-e", "setInterval(() => {}, 1000)", marker]);
  try {
    // Until it has exec'd, the child's command line is still this process's.
    await eventually("the child running", () => processesMentioning(marker).length > 0, 5000, 5);
    expect(processesMentioning(marker)).toEqual([tagged.pid]);
    expect(isAlive(tagged.pid)).toBe(true);
    expect(killProcesses([tagged.pid, 2 ** 22 + 1])).toBe(1);
    await tagged.exited;
    expect(processesMentioning(marker)).toEqual([]);
    expect(isAlive(tagged.pid)).toBe(false);
  } finally {
    tagged.kill("SIGKILL");
  }
});

test("finds processes by a cgroup path segment: this process's own cgroup holds it", async () => {
  const own = readFileSync("/proc/self/cgroup", "utf8")
    .split("\n")
    .map((l) => l.split(":")[2] ?? "")
    .find((path) => path.split("/").filter(Boolean).length > 0);
  if (own === undefined) return; // in the root cgroup everywhere: nothing to look for
  const segment = own.split("/").filter(Boolean).at(-1) as string;
  const child = Bun.spawn(["sleep", "30"]);
  try {
    await eventually(
      "the child in its parent's cgroup",
      () => processesInCgroup(segment).includes(child.pid),
      5000,
    );
    expect(processesInCgroup(`no-such-cgroup-${process.pid}`)).toEqual([]);
  } finally {
    child.kill("SIGKILL");
  }
});
