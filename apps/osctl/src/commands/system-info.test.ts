import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type FakeApid, startFakeApid } from "../testing/fake-apid-fixture.ts";
import { createTestIo, osctl } from "../testing/test-io.ts";

let server: FakeApid;
const io = createTestIo();
let cfg = "";
const namespaces: string[] = [];
const MIB = 1024n * 1024n;

beforeAll(async () => {
  server = await startFakeApid({
    containers: (req) => {
      namespaces.push(req.namespace);
      return {
        containers: [
          {
            namespace: req.namespace,
            id: "kube-proxy",
            image: "registry.k8s.io/kube-proxy:v1.31.4",
            pid: 812,
            status: "RUNNING",
          },
        ],
      };
    },
    processes: () => ({
      processes: [
        {
          pid: 1,
          ppid: 0,
          state: "S",
          threads: 4,
          cpuTime: 1.5,
          virtualMemory: 100n * MIB,
          residentMemory: 50n * MIB,
          command: "init",
          executable: "/sbin/init",
          args: "",
        },
      ],
    }),
    memory: () => ({
      meminfo: {
        memtotal: 4096n * 1024n,
        memfree: 1024n * 1024n,
        buffers: 512n * 1024n,
        cached: 512n * 1024n,
        memavailable: 2048n * 1024n,
        shmem: 10n * 1024n,
      },
    }),
    mounts: () => ({
      stats: [
        {
          filesystem: "/dev/vda1",
          size: 4n * 1024n ** 3n,
          available: 1n * 1024n ** 3n,
          mountedOn: "/var",
          fsType: "xfs",
        },
      ],
    }),
    stats: (req) => ({
      stats: [{ namespace: req.namespace, id: "etcd", memoryUsage: 64n * MIB, cpuUsage: 2_500_000_000n }],
    }),
  });
  cfg = join(io.dir, "cfg");
  writeFileSync(cfg, server.osconfig("os:reader", [server.endpoint], ["10.0.0.11"]));
});
afterAll(async () => {
  await server.close();
  io.cleanup();
});

test("ps -k lists the Kubernetes namespace in NAMESPACE ID IMAGE PID STATUS", async () => {
  const res = await osctl(io, "--osconfig", cfg, "ps", "-k");
  expect(res.code).toBe(0);
  expect(namespaces.at(-1)).toBe("k8s.io");
  const [header, row] = res.stdout.split("\n");
  expect(header?.split(/\s{3,}/)).toEqual(["NAMESPACE", "ID", "IMAGE", "PID", "STATUS"]);
  expect(row?.split(/\s{3,}/)).toEqual([
    "k8s.io",
    "kube-proxy",
    "registry.k8s.io/kube-proxy:v1.31.4",
    "812",
    "RUNNING",
  ]);
  await osctl(io, "--osconfig", cfg, "containers");
  expect(namespaces.at(-1)).toBe("system");
});

test("processes, memory and mounts tables", async () => {
  const ps = await osctl(io, "--osconfig", cfg, "processes");
  expect(ps.stdout).toMatch(/PID\s+STATE\s+THREADS\s+CPU-TIME\s+VIRTMEM\s+RESMEM\s+COMMAND/);
  expect(ps.stdout).toMatch(/1\s+S\s+4\s+1\.50\s+100\.00MB\s+50\.00MB\s+\/sbin\/init/);
  const mem = await osctl(io, "--osconfig", cfg, "memory");
  expect(mem.stdout).toBe(
    "TOTAL   USED   FREE   SHARED   BUFFERS   CACHE   AVAILABLE\n4096    2048   1024   10       512       512     2048\n",
  );
  const mounts = await osctl(io, "--osconfig", cfg, "mounts");
  expect(mounts.stdout).toMatch(/\/dev\/vda1\s+4\.00\s+3\.00\s+1\.00\s+75\.00%\s+\/var/);
});

test("stats: services by default, -k the Kubernetes containers; JSON per node", async () => {
  const res = await osctl(io, "--osconfig", cfg, "stats", "-k", "-o", "json", "-n", "a,b");
  expect(res.code).toBe(0);
  const data = JSON.parse(res.stdout);
  expect(data.map((d: { node: string }) => d.node)).toEqual(["a", "b"]);
  expect(data[0].stats[0]).toMatchObject({ namespace: "k8s.io", id: "etcd", memoryUsage: String(64n * MIB) });
  const table = await osctl(io, "--osconfig", cfg, "stats");
  expect(table.stdout).toMatch(/etcd\s+64\.00\s+2\.50/);
});
