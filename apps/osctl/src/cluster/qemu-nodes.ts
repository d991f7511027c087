// Starting a local cluster's nodes: one detached QEMU per node, booted from the kernel, over iPXE
// or from its own disk, each recorded in the cluster's state as soon as it runs.
import { closeSync, ftruncateSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Io } from "../io.ts";
import type { ClusterAssets } from "./cluster-assets.ts";
import {
  accelerators,
  type BootMethod,
  type ClusterPlan,
  HOST_FROM_GUEST,
  type NodePlan,
  type QemuBoot,
  qemuArgv,
} from "./cluster-plan.ts";
import { type ClusterState, saveClusterState } from "./cluster-state.ts";
import { type StartDetached, startDetached } from "./process-control.ts";
import { kvmUsable } from "./qemu-host.ts";

export interface QemuNodesInput {
  plan: ClusterPlan;
  /** The cluster's directory: each node's serial log, QEMU log, argv and pid file go in <dir>/<node>/. */
  dir: string;
  boot: BootMethod;
  assets: ClusterAssets;
  /** Each node's disk, by node name (`--boot disk`). */
  disks: Map<string, string>;
  serverPort: number;
  withConfig: boolean;
  /** Empty disks per node (`--extra-disks`), each `extraDiskMb` MiB (sparse files in the node's directory). */
  extraDisks?: number;
  extraDiskMb?: number;
  /** Whether KVM can be used (default: kvmUsable()). */
  kvm?: boolean;
  /** How each QEMU is started (default: detached, in its own process group). */
  start?: StartDetached;
}

function qemuBoot(input: QemuNodesInput, node: NodePlan): QemuBoot {
  const disk = input.disks.get(node.name);
  if (disk !== undefined) return { method: "disk", disk };
  if (input.boot === "kernel") return { method: "kernel", assets: input.assets };
  return {
    method: "pxe",
    scriptUrl: `http://${HOST_FROM_GUEST}:${input.serverPort}/boot.ipxe?mac=${node.mac}`,
  };
}

/** Starts every node's QEMU and adds it to `state` (saved after each, so `destroy` finds it). */
export function startQemuNodes(input: QemuNodesInput, state: ClusterState, io: Io): void {
  const accel = accelerators(input.kvm ?? kvmUsable());
  const start = input.start ?? startDetached;
  for (const node of input.plan.nodes) {
    const nodeDir = join(input.dir, node.name);
    mkdirSync(nodeDir, { recursive: true });
    const serialLog = join(nodeDir, "serial.log");
    const extraDisks = Array.from({ length: input.extraDisks ?? 0 }, (_, i) => {
      const path = join(nodeDir, `extra-disk-${i + 1}.raw`);
      const fd = openSync(path, "w");
      try {
        ftruncateSync(fd, (input.extraDiskMb ?? 256) * 1024 * 1024);
      } finally {
        closeSync(fd);
      }
      return path;
    });
    const argv = qemuArgv({
      plan: input.plan,
      node,
      boot: qemuBoot(input, node),
      configPort: input.withConfig ? input.serverPort : undefined,
      accelerators: accel,
      serialLog,
      pidFile: join(nodeDir, "qemu.pid"),
      extraDisks,
    });
    writeFileSync(join(nodeDir, "qemu.argv"), `${JSON.stringify(argv)}\n`);
    const pid = start(argv, join(nodeDir, "qemu.log"));
    state.nodes.push({
      name: node.name,
      role: node.role,
      pid,
      mac: node.mac,
      clusterIp: node.clusterIp,
      apidPort: node.apidPort,
      serialLog,
    });
    saveClusterState(io.home, state);
    io.stdout(
      `started ${node.name} (${node.role}, pid ${pid}, ${node.clusterIp}, apid on 127.0.0.1:${node.apidPort}, accel ${accel.join(",")})\n`,
    );
  }
}
