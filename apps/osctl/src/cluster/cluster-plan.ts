// The plan of a local QEMU cluster: its nodes (names, roles, MACs, addresses on the shared network,
// host ports forwarded to apid) and each node's QEMU command line. Pure and deterministic, so it is
// tested without starting anything.
import { createHash } from "node:crypto";

export type NodeRole = "controlplane" | "worker";
export type BootMethod = "kernel" | "pxe" | "disk";

export interface ClusterPlanInput {
  name: string;
  controlplanes: number;
  workers: number;
  memoryMb: number;
  cpus: number;
  /** Host ports for the nodes' apid, one per node in order (control planes first). */
  apidPorts: number[];
}

export interface NodePlan {
  name: string;
  role: NodeRole;
  /** Position in the cluster, 0-based, control planes first. */
  index: number;
  /** MAC of the first NIC (user-mode network: the host, the config server, apid's port forward). */
  mac: string;
  /** MAC of the second NIC, on the cluster's shared socket network. */
  clusterMac: string;
  /** Static address on the shared network, e.g. 10.5.0.2. */
  clusterIp: string;
  apidPort: number;
}

export interface ClusterPlan {
  name: string;
  /** QEMU multicast group shared by the cluster's nodes, e.g. 230.14.7.1:24567. */
  multicast: string;
  /** The shared network, e.g. 10.5.0.0/24, and the Kubernetes API endpoint on it. */
  subnet: string;
  endpoint: string;
  memoryMb: number;
  cpus: number;
  nodes: NodePlan[];
}

export const CLUSTER_SUBNET_PREFIX = "10.5.0";
/** The guest sees the host (and so the config server) at this address over user-mode networking. */
export const HOST_FROM_GUEST = "10.0.2.2";
export const APID_PORT = 50000;

export class ClusterPlanError extends Error {
  override readonly name = "ClusterPlanError";
  constructor(
    readonly code: "BadName" | "BadCount" | "BadPorts" | "BadSize",
    message: string,
  ) {
    super(message);
  }
}

const NAME = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;

function digest(name: string): Buffer {
  return createHash("sha256").update(name).digest();
}

const hex = (n: number) => n.toString(16).padStart(2, "0");

export function planCluster(input: ClusterPlanInput): ClusterPlan {
  if (!NAME.test(input.name))
    throw new ClusterPlanError(
      "BadName",
      `--name: "${input.name}" must be lowercase letters, digits and '-', at most 32 characters`,
    );
  if (!Number.isInteger(input.controlplanes) || input.controlplanes < 1)
    throw new ClusterPlanError("BadCount", `--controlplanes: ${input.controlplanes} (at least 1)`);
  if (!Number.isInteger(input.workers) || input.workers < 0)
    throw new ClusterPlanError("BadCount", `--workers: ${input.workers} (0 or more)`);
  if (!Number.isInteger(input.memoryMb) || input.memoryMb < 384)
    throw new ClusterPlanError(
      "BadSize",
      `--memory: ${input.memoryMb} MB is too little (the initramfs needs 384 MB to unpack, a control plane 512)`,
    );
  if (!Number.isInteger(input.cpus) || input.cpus < 1)
    throw new ClusterPlanError("BadSize", `--cpus: ${input.cpus} (at least 1)`);
  const total = input.controlplanes + input.workers;
  if (total > 200) throw new ClusterPlanError("BadCount", `${total} nodes: at most 200`);
  if (input.apidPorts.length !== total || new Set(input.apidPorts).size !== total)
    throw new ClusterPlanError(
      "BadPorts",
      `need ${total} distinct apid ports, got ${input.apidPorts.join(",")}`,
    );

  const d = digest(input.name);
  const nodes: NodePlan[] = [];
  for (let index = 0; index < total; index++) {
    const role: NodeRole = index < input.controlplanes ? "controlplane" : "worker";
    const ordinal = role === "controlplane" ? index + 1 : index - input.controlplanes + 1;
    const mac = (nic: number) =>
      `52:54:${hex(d[0] as number)}:${hex(d[1] as number)}:${hex(nic)}:${hex(index + 1)}`;
    nodes.push({
      name: `${input.name}-${role}-${ordinal}`,
      role,
      index,
      mac: mac(0),
      clusterMac: mac(1),
      clusterIp: `${CLUSTER_SUBNET_PREFIX}.${index + 2}`,
      apidPort: input.apidPorts[index] as number,
    });
  }
  const group = `230.${(d[2] as number) % 255}.${(d[3] as number) % 255}.${1 + ((d[4] as number) % 254)}`;
  const port = 20000 + (d.readUInt16BE(5) % 20000);
  return {
    name: input.name,
    multicast: `${group}:${port}`,
    subnet: `${CLUSTER_SUBNET_PREFIX}.0/24`,
    endpoint: `https://${CLUSTER_SUBNET_PREFIX}.2:6443`,
    memoryMb: input.memoryMb,
    cpus: input.cpus,
    nodes,
  };
}

export interface QemuBootAssets {
  kernel: string;
  initrd: string;
  /** The image's kernel command line (`_out/cmdline`). */
  cmdline: string;
}

/**
 * The kernel command line of a node: the image's, the config URL (`${mac}` is substituted by
 * machined: direct kernel boot has no iPXE to do it), the hostname, and a final `console=ttyS0` so
 * that /dev/console (the last console= given) is the serial port the log is written from.
 * `configPort` undefined: no `bronze.config=` at all, so the node boots into maintenance mode.
 */
export function nodeCmdline(image: string, configPort: number | undefined, node: NodePlan): string {
  const args = image
    .trim()
    .split(/\s+/)
    .filter((a) => !a.startsWith("bronze.config=") && !a.startsWith("bronze.hostname="));
  return [
    ...args,
    ...(configPort === undefined
      ? []
      : [`bronze.config=http://${HOST_FROM_GUEST}:${configPort}/config?mac=\${mac}`]),
    `bronze.hostname=${node.name}`,
    "console=ttyS0",
  ].join(" ");
}

/**
 * How a node boots: QEMU loads the kernel itself, the NIC's iPXE fetches a script over HTTP, or
 * SeaBIOS boots GRUB from the node's own disk (its grub.cfg holds the node's kernel arguments).
 */
export type QemuBoot =
  | { method: "kernel"; assets: QemuBootAssets }
  | { method: "pxe"; scriptUrl: string }
  | { method: "disk"; disk: string };

export interface QemuArgvInput {
  plan: ClusterPlan;
  node: NodePlan;
  boot: QemuBoot;
  /** The config server's port, or undefined for nodes booted without a config (maintenance mode). */
  configPort: number | undefined;
  /** Accelerators to try in order, e.g. ["kvm", "tcg"]. */
  accelerators: string[];
  serialLog: string;
  pidFile: string;
  /** Empty disks attached after the boot disk (`--extra-disks`): /dev/vdb... on a disk-booted node. */
  extraDisks?: readonly string[];
}

export function qemuArgv(input: QemuArgvInput): string[] {
  const { plan, node, boot } = input;
  const userNet = `user,id=host,hostfwd=tcp:127.0.0.1:${node.apidPort}-:${APID_PORT}`;
  return [
    "qemu-system-x86_64",
    ...["-name", node.name],
    ...input.accelerators.flatMap((a) => ["-accel", a]),
    ...["-cpu", "max", "-m", String(plan.memoryMb), "-smp", String(plan.cpus)],
    ...["-display", "none", "-vga", "none", "-monitor", "none"],
    ...["-serial", `file:${input.serialLog}`],
    ...["-pidfile", input.pidFile],
    ...(boot.method === "kernel"
      ? [
          ...["-kernel", boot.assets.kernel, "-initrd", boot.assets.initrd],
          ...["-append", nodeCmdline(boot.assets.cmdline, input.configPort, node)],
          ...["-netdev", userNet],
        ]
      : boot.method === "disk"
        ? // QEMU's option syntax doubles a comma inside a value.
          [
            "-drive",
            `file=${boot.disk.replaceAll(",", ",,")},format=raw,if=virtio`,
            "-boot",
            "c",
            "-netdev",
            userNet,
          ]
        : // slirp's DHCP hands the script's URL to the NIC's iPXE ROM as the boot file.
          ["-boot", "n", "-netdev", `${userNet},bootfile=${boot.scriptUrl}`]),
    ...(input.extraDisks ?? []).flatMap((d) => [
      "-drive",
      `file=${d.replaceAll(",", ",,")},format=raw,if=virtio`,
    ]),
    ...["-device", `virtio-net-pci,netdev=host,mac=${node.mac}`],
    ...["-netdev", `socket,id=cluster,mcast=${plan.multicast}`],
    // No option ROM on the cluster NIC: only the first NIC network-boots.
    ...[
      "-device",
      `virtio-net-pci,netdev=cluster,mac=${node.clusterMac}${boot.method === "pxe" ? ",romfile=" : ""}`,
    ],
  ];
}

/**
 * The iPXE script of a node booted with `--boot pxe`: the assets from the config server and the
 * same kernel command line as a direct kernel boot (iPXE expands `${mac}` itself); with
 * `config: false`, no `bronze.config=` (maintenance mode).
 */
export function nodeIpxeScript(
  imageCmdline: string,
  serverPort: number,
  node: NodePlan,
  options: { config?: boolean } = {},
): string {
  const base = `http://${HOST_FROM_GUEST}:${serverPort}/assets`;
  const cmdline = nodeCmdline(imageCmdline, options.config === false ? undefined : serverPort, node);
  return [
    "#!ipxe",
    `kernel ${base}/vmlinuz initrd=initramfs.zst ${cmdline}`,
    `initrd ${base}/initramfs.zst`,
    "boot",
    "",
  ].join("\n");
}

/** KVM when /dev/kvm can be opened (QEMU falls back to the next accelerator if it still fails). */
export function accelerators(kvmUsable: boolean): string[] {
  return kvmUsable ? ["kvm", "tcg"] : ["tcg"];
}

/**
 * The config patch of a node: its hostname, DHCP on the user-mode NIC (eth0) and its static
 * address on the shared network (eth1).
 */
export function nodePatch(node: NodePlan): string {
  return JSON.stringify({
    machine: {
      network: {
        hostname: node.name,
        interfaces: [
          { interface: "eth0", dhcp: true },
          { interface: "eth1", addresses: [`${node.clusterIp}/24`] },
        ],
      },
      certSANs: ["127.0.0.1", node.clusterIp],
    },
  });
}
