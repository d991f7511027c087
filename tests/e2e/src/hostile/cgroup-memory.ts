// The memory cgroup of a container (apid's and trustd's, limited to 128 MiB): what the kernel charges
// it (anonymous memory, not the binary's file pages that VmRSS counts), its peak, its limit, and
// whether it was ever hit or OOM-killed. cgroup v1 (memory controller) and v2 alike.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface CgroupMemoryDir {
  readonly dir: string;
  readonly version: 1 | 2;
}

export interface CgroupMemory {
  readonly usageBytes: number;
  /** Peak usage since the cgroup was created or the peak reset (v1; v2's memory.peak, when the kernel has it). */
  readonly peakBytes?: number;
  /** undefined: no limit. */
  readonly limitBytes?: number;
  /** Times the limit was hit (v1 failcnt; v2 memory.events max). */
  readonly limitHits?: number;
  readonly oomKills?: number;
}

type Read = (path: string) => string;
const readText: Read = (path) => readFileSync(path, "utf8");

/** The memory cgroup directory of a process, from its /proc/<pid>/cgroup text. */
export function cgroupMemoryDir(procCgroup: string, root = "/sys/fs/cgroup"): CgroupMemoryDir | undefined {
  for (const line of procCgroup.split("\n")) {
    const [, controllers, path] = line.split(":");
    if (controllers === undefined || path === undefined) continue;
    if (controllers.split(",").includes("memory")) return { dir: join(root, "memory", path), version: 1 };
  }
  for (const line of procCgroup.split("\n")) {
    const m = /^0::(.*)$/.exec(line);
    if (m?.[1] !== undefined && m[1] !== "/") return { dir: join(root, m[1]), version: 2 };
  }
  return undefined;
}

const field = (text: string, name: string) => {
  const m = new RegExp(`^${name} (\\d+)$`, "m").exec(text);
  return m === null ? undefined : Number(m[1]);
};

function optional(read: Read, path: string): string | undefined {
  try {
    return read(path).trim();
  } catch {
    return undefined;
  }
}

export function readCgroupMemory(at: CgroupMemoryDir, read: Read = readText): CgroupMemory {
  const file = (name: string) => optional(read, join(at.dir, name));
  const num = (text: string | undefined) =>
    text === undefined || !/^\d+$/.test(text) ? undefined : Number(text);
  if (at.version === 1) {
    const limit = num(file("memory.limit_in_bytes"));
    return {
      usageBytes: num(file("memory.usage_in_bytes")) ?? Number.NaN,
      peakBytes: num(file("memory.max_usage_in_bytes")),
      // v1 says "no limit" with a huge page-aligned number.
      limitBytes: limit !== undefined && limit < 2 ** 60 ? limit : undefined,
      limitHits: num(file("memory.failcnt")),
      oomKills: field(file("memory.oom_control") ?? "", "oom_kill"),
    };
  }
  const events = file("memory.events") ?? "";
  return {
    usageBytes: num(file("memory.current")) ?? Number.NaN,
    peakBytes: num(file("memory.peak")),
    limitBytes: num(file("memory.max")),
    limitHits: field(events, "max"),
    oomKills: field(events, "oom_kill"),
  };
}

/** Resets the peak (v1 only: memory.max_usage_in_bytes); returns whether it could. */
export function resetCgroupPeak(at: CgroupMemoryDir, write = writeFileSync): boolean {
  if (at.version !== 1) return false;
  try {
    write(join(at.dir, "memory.max_usage_in_bytes"), "0");
    return true;
  } catch {
    return false;
  }
}
