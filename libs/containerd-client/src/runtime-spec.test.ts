import { expect, test } from "bun:test";
import { buildRuntimeSpec, DEFAULT_CAPABILITIES, DEFAULT_PATH, normalizeCapability } from "./runtime-spec.ts";

const base = { id: "c1", namespace: "ns" };

test("defaults mirror containerd's: caps, namespaces, cgroups path, masked paths, rootfs", () => {
  const s = buildRuntimeSpec({ ...base, args: ["/bin/true"] });
  expect(s.root).toEqual({ path: "rootfs" });
  expect(s.process?.args).toEqual(["/bin/true"]);
  expect(s.process?.env).toEqual([DEFAULT_PATH]);
  expect(s.process?.user).toEqual({ uid: 0, gid: 0 });
  expect(s.process?.capabilities?.bounding).toEqual(DEFAULT_CAPABILITIES);
  expect(s.process?.noNewPrivileges).toBe(true);
  expect(s.linux?.namespaces?.map((n) => n.type)).toEqual(["pid", "ipc", "uts", "mount", "network"]);
  expect(s.linux?.cgroupsPath).toBe("/ns/c1");
  expect(s.linux?.maskedPaths).toContain("/proc/kcore");
  expect(s.mounts?.find((m) => m.destination === "/sys")?.options).toContain("ro");
});

test("the image supplies command, env, cwd and a numeric user; options override them", () => {
  const image = {
    Entrypoint: ["/entry"],
    Cmd: ["a"],
    Env: ["PATH=/x", "A=1"],
    WorkingDir: "/work",
    User: "1000:1001",
  };
  const s = buildRuntimeSpec({ ...base, image });
  expect(s.process?.args).toEqual(["/entry", "a"]);
  expect(s.process?.env).toEqual(["PATH=/x", "A=1"]);
  expect(s.process?.cwd).toBe("/work");
  expect(s.process?.user).toEqual({ uid: 1000, gid: 1001 });
  const o = buildRuntimeSpec({
    ...base,
    image,
    args: ["/other"],
    env: { A: "2", B: "3" },
    cwd: "/",
    uid: 5,
    gid: 6,
  });
  expect(o.process?.args).toEqual(["/other"]);
  expect(o.process?.env).toEqual(["PATH=/x", "A=2", "B=3"]);
  expect(o.process?.user).toEqual({ uid: 5, gid: 6 });
  expect(() => buildRuntimeSpec({ ...base, image: { Cmd: ["x"], User: "etcd" } })).toThrow(
    'user "etcd", which is a name',
  );
});

test("limits, read-only rootfs, bind mounts, host network, capabilities", () => {
  const s = buildRuntimeSpec({
    ...base,
    args: ["x"],
    readOnlyRootfs: true,
    memoryLimitBytes: 64 * 1024 * 1024,
    cpus: 0.5,
    cpuShares: 512,
    pidsLimit: 100,
    hostNetwork: true,
    capabilities: ["net_admin", "CAP_SYS_TIME"],
    mounts: [{ source: "/var/lib/x", destination: "/data", readOnly: true }],
    rootPath: "/srv/rootfs",
  });
  expect(s.root).toEqual({ path: "/srv/rootfs", readonly: true });
  expect(s.linux?.resources?.memory).toEqual({ limit: 67108864 });
  expect(s.linux?.resources?.cpu).toEqual({ shares: 512, period: 100000, quota: 50000 });
  expect(s.linux?.resources?.pids).toEqual({ limit: 100 });
  expect(s.linux?.namespaces?.map((n) => n.type)).not.toContain("network");
  expect(s.mounts?.map((m) => m.destination)).toContain("/etc/resolv.conf");
  expect(s.mounts?.find((m) => m.destination === "/data")).toEqual({
    destination: "/data",
    type: "bind",
    source: "/var/lib/x",
    options: ["rbind", "ro"],
  });
  expect(s.process?.capabilities?.effective).toEqual(["CAP_NET_ADMIN", "CAP_SYS_TIME"]);
  expect(
    buildRuntimeSpec({ ...base, args: ["x"], capabilities: [] }).process?.capabilities?.bounding,
  ).toEqual([]);
});

test("bad options are refused with the field named", () => {
  expect(() => buildRuntimeSpec(base)).toThrow("no command");
  expect(() => buildRuntimeSpec({ ...base, args: ["x"], capabilities: ["CAP_FLY"] })).toThrow(
    'unknown capability "CAP_FLY"',
  );
  expect(() =>
    buildRuntimeSpec({ ...base, args: ["x"], mounts: [{ source: "rel", destination: "/d" }] }),
  ).toThrow("must be an absolute path");
  expect(() => buildRuntimeSpec({ ...base, args: ["x"], memoryLimitBytes: -1 })).toThrow(
    "memoryLimitBytes must be a non-negative integer",
  );
  expect(() => buildRuntimeSpec({ ...base, args: ["x"], cwd: "rel" })).toThrow("must be absolute");
  expect(normalizeCapability("kill")).toBe("CAP_KILL");
});
