import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "@bronze/testing";
import type { LogSink, LogStream } from "../service.ts";
import { createBunSpawn } from "./bun-spawn.ts";
import { ServiceCgroup } from "./cgroup.ts";
import { ProcessRunner } from "./process-runner.ts";
import { RunnerError } from "./runner-error.ts";
import type { SpawnFn } from "./spawn.ts";

const realSpawn = createBunSpawn();

/** The cgroup v2 mount point (/sys/fs/cgroup on unified hosts, /sys/fs/cgroup/unified on hybrid ones). */
function cgroup2Mount(): string | undefined {
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const [left, right] = line.split(" - ");
    if (right?.startsWith("cgroup2 ")) return left?.split(" ")[4];
  }
  return undefined;
}

function sink() {
  const lines: Array<[LogStream, string]> = [];
  const log: LogSink = { line: (s, t) => lines.push([s, t]) };
  return { lines, log };
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** The words of a cgroup interface file ("" when absent). */
function words(path: string): string[] {
  try {
    return readFileSync(path, "utf8").split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/** Removes a cgroup tree (cgroupfs directories are removed with rmdir, leaves first). */
async function removeCgroup(path: string): Promise<void> {
  if (!existsSync(path)) return;
  for (const entry of require("node:fs").readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory()) await removeCgroup(join(path, entry.name));
  }
  // Killed processes may take a moment to leave.
  await eventually(
    `${path} removed`,
    () => {
      try {
        rmdirSync(path);
        return true;
      } catch {
        return false;
      }
    },
    3000,
    20,
  );
}

describe("a real cgroup v2 hierarchy", () => {
  const mount = cgroup2Mount();
  // The test's cgroup gets what the hierarchy's root delegates. A cgroup v1 hybrid host (this one's
  // unified hierarchy offers only hugetlb) has no memory controller on v2; the QEMU node has.
  const memoryDelegated =
    mount !== undefined && words(join(mount, "cgroup.subtree_control")).includes("memory");
  let root: string;

  beforeAll(() => {
    if (mount === undefined) throw new Error("no cgroup2 hierarchy mounted on this host");
    root = join(mount, `bronze-test-${process.pid}`);
    mkdirSync(root);
  });
  afterAll(async () => {
    await removeCgroup(root);
  });

  test("the process is in <root>/<id> from its first instruction", async () => {
    const { lines, log } = sink();
    const runner = new ProcessRunner({
      cmd: ["cat", "/proc/self/cgroup"],
      spawn: realSpawn,
      cgroup: { root },
    });
    const h = await runner.start({ id: "containerd", log });
    expect(await h.exited).toEqual({ code: 0, signal: null });
    const relative = root.slice((mount as string).length);
    expect(lines.map((l) => l[1])).toContain(`0::${relative}/containerd`);
  });

  test("cgroup.procs lists the running service", async () => {
    const runner = new ProcessRunner({ cmd: ["sleep", "30"], spawn: realSpawn, cgroup: { root } });
    const h = await runner.start({ id: "sleeper", log: sink().log });
    const cg = new ServiceCgroup(root, "sleeper");
    expect(cg.procs()).toEqual([h.pid as number]);
    await h.stop(1000);
    await eventually("the cgroup empty", () => cg.procs().length === 0, 3000, 20);
  });

  test("what the main process leaves behind in its cgroup is killed when it exits", async () => {
    const { lines, log } = sink();
    const runner = new ProcessRunner({
      cmd: ["sh", "-c", "setsid sleep 30 > /dev/null 2>&1 & echo $!"],
      spawn: realSpawn,
      cgroup: { root },
    });
    const h = await runner.start({ id: "daemonizer", log });
    expect(await h.exited).toEqual({ code: 0, signal: null });
    const daemon = Number(lines[0]?.[1]);
    expect(daemon).toBeGreaterThan(0);
    await eventually("the daemonized sleep killed", () => !alive(daemon), 3000, 20);
  });

  test.skipIf(!memoryDelegated)(
    "memory.max is written (needs cgroup v2's memory controller: skipped on a cgroup v1 hybrid host)",
    () => {
      const cg = new ServiceCgroup(root, "limited");
      cg.prepare({ memoryMax: 64 * 1024 * 1024 });
      expect(words(join(root, "cgroup.subtree_control"))).toContain("memory");
      expect(readFileSync(join(cg.path, "memory.max"), "utf8").trim()).toBe(String(64 * 1024 * 1024));
    },
  );

  test("memory.max under a root the memory controller is not delegated to: a clear CgroupFailed", () => {
    // <root>/undelegated enables nothing for its children, so <root>/undelegated/inner has no
    // controllers on any host: memory.max cannot exist in its children.
    const undelegated = join(root, "undelegated");
    mkdirSync(join(undelegated, "inner"), { recursive: true });
    const inner = join(undelegated, "inner");
    expect(words(join(inner, "cgroup.controllers"))).not.toContain("memory");
    const cg = new ServiceCgroup(inner, "limited");
    let err: unknown;
    try {
      cg.prepare({ memoryMax: 64 * 1024 * 1024 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RunnerError);
    expect((err as RunnerError).code).toBe("CgroupFailed");
    expect((err as RunnerError).message).toBe(
      `cannot set ${cg.path}/memory.max to 67108864: the memory controller is not enabled for ${inner} (see its cgroup.subtree_control)`,
    );
  });
});

describe("an injected cgroup root (a plain directory)", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "bronze-cgroot-"));
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  test("creates <root>/<id>, writes the limits and the pid", async () => {
    // A plain directory cannot be joined at spawn: this spawn ignores the request, the runner writes the pid.
    const requested: Array<string | undefined> = [];
    const spawn: SpawnFn = (req) => {
      requested.push(req.cgroup);
      return realSpawn({ ...req, cgroup: undefined });
    };
    const runner = new ProcessRunner({
      cmd: ["sh", "-c", "exit 0"],
      spawn,
      cgroup: { root, memoryMax: 128 * 1024 * 1024, pidsMax: 64 },
    });
    const h = await runner.start({ id: "apid", log: sink().log });
    await h.exited;
    expect(requested).toEqual([join(root, "apid")]);
    expect(readFileSync(join(root, "apid", "memory.max"), "utf8")).toBe(String(128 * 1024 * 1024));
    expect(readFileSync(join(root, "apid", "pids.max"), "utf8")).toBe("64");
    expect(readFileSync(join(root, "apid", "cgroup.procs"), "utf8")).toBe(String(h.pid));
  });

  test("bad names and limits are refused before anything runs", async () => {
    expect(() => new ServiceCgroup(root, "../escape")).toThrow(RunnerError);
    const runner = new ProcessRunner({
      cmd: ["true"],
      spawn: () => {
        throw new Error("must not spawn");
      },
      cgroup: { root, memoryMax: -5 },
    });
    await expect(runner.start({ id: "bad", log: sink().log })).rejects.toMatchObject({
      code: "InvalidOptions",
      message: 'memory.max must be a positive integer or "max", got -5',
    });
  });
});
