import { expect, test } from "bun:test";
import { cgroupMemoryDir, readCgroupMemory, resetCgroupPeak } from "./cgroup-memory.ts";

test("the memory cgroup of a process: v1's memory controller, else v2's unified path", () => {
  const v1 = "9:name=systemd:/system-x/apid\n8:pids:/system-x/apid\n4:memory:/system-x/apid\n0::/\n";
  expect(cgroupMemoryDir(v1)).toEqual({ dir: "/sys/fs/cgroup/memory/system-x/apid", version: 1 });
  expect(cgroupMemoryDir("0::/system/apid\n")).toEqual({ dir: "/sys/fs/cgroup/system/apid", version: 2 });
  expect(cgroupMemoryDir("0::/\n")).toBeUndefined();
});

test("v1 figures, a huge limit meaning none; v2 figures from memory.events", () => {
  const v1: Record<string, string> = {
    "/c/memory.usage_in_bytes": "26103808\n",
    "/c/memory.max_usage_in_bytes": "27430912\n",
    "/c/memory.limit_in_bytes": "134217728\n",
    "/c/memory.failcnt": "3\n",
    "/c/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n",
  };
  const read = (files: Record<string, string>) => (path: string) => {
    const text = files[path];
    if (text === undefined) throw new Error(`ENOENT ${path}`);
    return text;
  };
  expect(readCgroupMemory({ dir: "/c", version: 1 }, read(v1))).toEqual({
    usageBytes: 26103808,
    peakBytes: 27430912,
    limitBytes: 134217728,
    limitHits: 3,
    oomKills: 1,
  });
  expect(
    readCgroupMemory(
      { dir: "/c", version: 1 },
      read({ ...v1, "/c/memory.limit_in_bytes": "9223372036854771712" }),
    ).limitBytes,
  ).toBeUndefined();
  const v2 = {
    "/d/memory.current": "100\n",
    "/d/memory.max": "max\n",
    "/d/memory.events": "low 0\nhigh 0\nmax 2\noom 0\noom_kill 0\n",
  };
  expect(readCgroupMemory({ dir: "/d", version: 2 }, read(v2))).toEqual({
    usageBytes: 100,
    peakBytes: undefined,
    limitBytes: undefined,
    limitHits: 2,
    oomKills: 0,
  });
});

test("the peak is reset on v1 only", () => {
  const writes: [string, string][] = [];
  const write = ((path: string, data: string) => writes.push([path, data])) as never;
  expect(resetCgroupPeak({ dir: "/c", version: 1 }, write)).toBe(true);
  expect(resetCgroupPeak({ dir: "/d", version: 2 }, write)).toBe(false);
  expect(writes).toEqual([["/c/memory.max_usage_in_bytes", "0"]]);
});
