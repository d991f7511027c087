import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { demoClusterPlan } from "../testing/demo-cluster-plan.ts";
import { createTestIo } from "../testing/test-io.ts";
import type { ClusterAssets } from "./cluster-assets.ts";
import { type ClusterState, loadClusterState } from "./cluster-state.ts";
import { startQemuNodes } from "./qemu-nodes.ts";

const io = createTestIo();
afterAll(() => io.cleanup());
const plan = demoClusterPlan();
const assets: ClusterAssets = {
  kernel: "/a/vmlinuz",
  initrd: "/a/initramfs.zst",
  cmdline: "console=ttyS0",
  disk: "/a/disk.raw",
};
const emptyState = (): ClusterState => ({
  name: "demo",
  createdAt: "2026-01-01T00:00:00.000Z",
  boot: "kernel",
  osconfig: "/o",
  context: "demo",
  server: { pid: 1, port: 4000, log: "/l" },
  nodes: [],
});

test("one QEMU per node, its argv kept beside its logs; each recorded in the saved state as it starts", () => {
  const started: { argv: string[]; log: string; nodesSaved: number }[] = [];
  const state = emptyState();
  const dir = join(io.dir, "kernel");
  startQemuNodes(
    {
      plan,
      dir,
      boot: "kernel",
      assets,
      disks: new Map(),
      serverPort: 4000,
      withConfig: true,
      kvm: false,
      start: (argv, log) => {
        started.push({ argv, log, nodesSaved: state.nodes.length });
        return 100 + started.length;
      },
    },
    state,
    io,
  );
  expect(started.map((s) => s.log)).toEqual(plan.nodes.map((n) => join(dir, n.name, "qemu.log")));
  expect(started.map((s) => s.nodesSaved)).toEqual([0, 1]);
  const [first] = started;
  expect(first?.argv).toContain("-kernel");
  expect(first?.argv.join(" ")).toContain("-accel tcg -cpu max");
  expect(first?.argv.join(" ")).toContain("bronze.config=http://10.0.2.2:4000/config");
  expect(JSON.parse(readFileSync(join(dir, "demo-controlplane-1", "qemu.argv"), "utf8"))).toEqual(
    first?.argv,
  );
  expect(loadClusterState(io.home, "demo").nodes.map((n) => [n.name, n.pid, n.apidPort])).toEqual([
    ["demo-controlplane-1", 101, 4001],
    ["demo-worker-1", 102, 4002],
  ]);
  expect(io.out.join("")).toContain(
    "started demo-worker-1 (worker, pid 102, 10.5.0.3, apid on 127.0.0.1:4002, accel tcg)\n",
  );
});

test("PXE nodes fetch their script from the config server; disk nodes boot their own disk", () => {
  const argvs: string[][] = [];
  const start = (argv: string[]) => argvs.push(argv);
  const input = { plan, assets, serverPort: 4000, withConfig: false, kvm: true, start };
  startQemuNodes({ ...input, dir: join(io.dir, "pxe"), boot: "pxe", disks: new Map() }, emptyState(), io);
  expect(argvs[0]?.join(" ")).toContain(`bootfile=http://10.0.2.2:4000/boot.ipxe?mac=${plan.nodes[0]?.mac}`);
  expect(argvs[0]?.join(" ")).toContain("-accel kvm -accel tcg");
  const disks = new Map(plan.nodes.map((n) => [n.name, `/d/${n.name}.raw`]));
  startQemuNodes({ ...input, dir: join(io.dir, "disk"), boot: "disk", disks }, emptyState(), io);
  expect(argvs[2]?.join(" ")).toContain("file=/d/demo-controlplane-1.raw,format=raw,if=virtio");
  expect(argvs[2]).not.toContain("-kernel");
});
