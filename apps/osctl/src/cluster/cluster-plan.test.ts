// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${mac} and ${base-url} are iPXE and machined variables, not templates
import { expect, test } from "bun:test";
import { applyPatches, stringifyConfig } from "@bronze/config-schema";
import { generateSecretsBundle } from "@bronze/pki";
import { parse } from "yaml";
import { generateMachineConfigs } from "../config-generator/config-generator.ts";
import { KUBERNETES_VERSION } from "../config-generator/defaults.ts";
import {
  accelerators,
  ClusterPlanError,
  nodeCmdline,
  nodeIpxeScript,
  nodePatch,
  planCluster,
  qemuArgv,
} from "./cluster-plan.ts";

const input = {
  name: "demo",
  controlplanes: 1,
  workers: 2,
  memoryMb: 1024,
  cpus: 1,
  apidPorts: [4001, 4002, 4003],
};

test("nodes: names, roles, addresses, ports; MACs unique and deterministic per cluster", () => {
  const plan = planCluster(input);
  expect(plan.nodes.map((n) => [n.name, n.role, n.clusterIp, n.apidPort])).toEqual([
    ["demo-controlplane-1", "controlplane", "10.5.0.2", 4001],
    ["demo-worker-1", "worker", "10.5.0.3", 4002],
    ["demo-worker-2", "worker", "10.5.0.4", 4003],
  ]);
  expect(plan.endpoint).toBe("https://10.5.0.2:6443");
  const macs = plan.nodes.flatMap((n) => [n.mac, n.clusterMac]);
  expect(new Set(macs).size).toBe(6);
  for (const mac of macs) expect(mac).toMatch(/^52:54(:[0-9a-f]{2}){4}$/);
  expect(planCluster(input)).toEqual(plan);
  const other = planCluster({ ...input, name: "other" });
  expect(other.nodes[0]?.mac).not.toBe(plan.nodes[0]?.mac);
  expect(other.multicast).not.toBe(plan.multicast);
  expect(plan.multicast).toMatch(/^230\.\d+\.\d+\.\d+:\d+$/);
});

test("bad input is named", () => {
  expect(() => planCluster({ ...input, name: "Bad_Name" })).toThrow(ClusterPlanError);
  expect(() => planCluster({ ...input, controlplanes: 0 })).toThrow("--controlplanes");
  expect(() => planCluster({ ...input, workers: -1 })).toThrow("--workers");
  expect(() => planCluster({ ...input, apidPorts: [1, 1, 2] })).toThrow("distinct apid ports");
  expect(() => planCluster({ ...input, memoryMb: 256 })).toThrow("--memory: 256 MB is too little");
  expect(() => planCluster({ ...input, cpus: 0 })).toThrow("--cpus: 0");
});

test("kernel command line: the image's, the config URL with a literal ${mac}, the hostname, ttyS0 last", () => {
  const plan = planCluster(input);
  const node = plan.nodes[1];
  if (!node) throw new Error("no node");
  const line = nodeCmdline(
    "console=ttyS0 console=tty0 slab_nomerge pti=on bronze.config=http://x/\n",
    4100,
    node,
  );
  expect(line).toBe(
    "console=ttyS0 console=tty0 slab_nomerge pti=on bronze.config=http://10.0.2.2:4100/config?mac=${mac} bronze.hostname=demo-worker-1 console=ttyS0",
  );
});

test("without a config: no bronze.config= at all (the image's is dropped too), so the node enters maintenance mode", () => {
  const plan = planCluster(input);
  const node = plan.nodes[0];
  if (!node) throw new Error("no node");
  const image = "console=ttyS0 console=tty0 slab_nomerge pti=on bronze.config=http://x/";
  expect(nodeCmdline(image, undefined, node)).toBe(
    "console=ttyS0 console=tty0 slab_nomerge pti=on bronze.hostname=demo-controlplane-1 console=ttyS0",
  );
  const argv = qemuArgv({
    plan,
    node,
    boot: { method: "kernel", assets: { kernel: "/o/vmlinuz", initrd: "/o/initramfs.zst", cmdline: image } },
    configPort: undefined,
    accelerators: ["tcg"],
    serialLog: "/s/serial.log",
    pidFile: "/s/qemu.pid",
  });
  expect(argv[argv.indexOf("-append") + 1]).toBe(nodeCmdline(image, undefined, node));
  const script = nodeIpxeScript(image, 4100, node, { config: false });
  expect(script).toContain("kernel http://10.0.2.2:4100/assets/vmlinuz initrd=initramfs.zst console=ttyS0");
  expect(script).not.toContain("bronze.config=");
});

test("QEMU argv: accelerators, two NICs (apid forward; shared multicast network), serial log and pid file", () => {
  const plan = planCluster(input);
  const node = plan.nodes[0];
  if (!node) throw new Error("no node");
  const argv = qemuArgv({
    plan,
    node,
    boot: {
      method: "kernel",
      assets: { kernel: "/o/vmlinuz", initrd: "/o/initramfs.zst", cmdline: "console=ttyS0" },
    },
    configPort: 4100,
    accelerators: accelerators(true),
    serialLog: "/s/serial.log",
    pidFile: "/s/qemu.pid",
  });
  const after = (flag: string) => argv.filter((_, i) => argv[i - 1] === flag);
  expect(argv[0]).toBe("qemu-system-x86_64");
  expect(after("-accel")).toEqual(["kvm", "tcg"]);
  expect(after("-m")).toEqual(["1024"]);
  expect(after("-cpu")).toEqual(["max"]);
  expect(after("-serial")).toEqual(["file:/s/serial.log"]);
  expect(after("-kernel")).toEqual(["/o/vmlinuz"]);
  expect(after("-netdev")).toEqual([
    "user,id=host,hostfwd=tcp:127.0.0.1:4001-:50000",
    `socket,id=cluster,mcast=${plan.multicast}`,
  ]);
  expect(after("-device")).toEqual([
    `virtio-net-pci,netdev=host,mac=${node.mac}`,
    `virtio-net-pci,netdev=cluster,mac=${node.clusterMac}`,
  ]);
  expect(accelerators(false)).toEqual(["tcg"]);
});

test("PXE boot: no kernel, the script URL as slirp's boot file, no option ROM on the cluster NIC", () => {
  const plan = planCluster(input);
  const node = plan.nodes[1];
  if (!node) throw new Error("no node");
  const argv = qemuArgv({
    plan,
    node,
    boot: { method: "pxe", scriptUrl: `http://10.0.2.2:4100/boot.ipxe?mac=${node.mac}` },
    configPort: 4100,
    accelerators: ["tcg"],
    serialLog: "/s/serial.log",
    pidFile: "/s/qemu.pid",
  });
  const after = (flag: string) => argv.filter((_, i) => argv[i - 1] === flag);
  expect(argv).not.toContain("-kernel");
  expect(after("-boot")).toEqual(["n"]);
  expect(after("-netdev")[0]).toBe(
    `user,id=host,hostfwd=tcp:127.0.0.1:4002-:50000,bootfile=http://10.0.2.2:4100/boot.ipxe?mac=${node.mac}`,
  );
  expect(after("-device")[1]).toBe(`virtio-net-pci,netdev=cluster,mac=${node.clusterMac},romfile=`);
  expect(nodeIpxeScript("console=ttyS0 pti=on", 4100, node).split("\n")).toEqual([
    "#!ipxe",
    `kernel http://10.0.2.2:4100/assets/vmlinuz initrd=initramfs.zst ${nodeCmdline("console=ttyS0 pti=on", 4100, node)}`,
    "initrd http://10.0.2.2:4100/assets/initramfs.zst",
    "boot",
    "",
  ]);
});

test("disk boot: the node's own disk on virtio, booted first; no kernel, no iPXE script", () => {
  const plan = planCluster(input);
  const node = plan.nodes[0];
  if (!node) throw new Error("no node");
  const argv = qemuArgv({
    plan,
    node,
    boot: { method: "disk", disk: "/s/a,b/disk.raw" },
    configPort: 4100,
    accelerators: ["tcg"],
    serialLog: "/s/serial.log",
    pidFile: "/s/qemu.pid",
  });
  const after = (flag: string) => argv.filter((_, i) => argv[i - 1] === flag);
  expect(argv).not.toContain("-kernel");
  expect(argv).not.toContain("-append");
  expect(after("-drive")).toEqual(["file=/s/a,,b/disk.raw,format=raw,if=virtio"]);
  expect(after("-boot")).toEqual(["c"]);
  expect(after("-netdev")[0]).toBe("user,id=host,hostfwd=tcp:127.0.0.1:4001-:50000");
  // extra disks come after the boot disk: /dev/vdb, /dev/vdc in the guest
  const withExtra = qemuArgv({
    plan,
    node,
    boot: { method: "disk", disk: "/s/disk.raw" },
    configPort: 4100,
    accelerators: ["tcg"],
    serialLog: "/s/serial.log",
    pidFile: "/s/qemu.pid",
    extraDisks: ["/s/extra-disk-1.raw", "/s/extra-disk-2.raw"],
  });
  expect(withExtra.filter((_, i) => withExtra[i - 1] === "-drive")).toEqual([
    "file=/s/disk.raw,format=raw,if=virtio",
    "file=/s/extra-disk-1.raw,format=raw,if=virtio",
    "file=/s/extra-disk-2.raw,format=raw,if=virtio",
  ]);
});

test("the node patch gives a valid config: hostname, DHCP on eth0, static address on eth1", async () => {
  const plan = planCluster(input);
  const node = plan.nodes[2];
  if (!node) throw new Error("no node");
  const configs = generateMachineConfigs({
    clusterName: "demo",
    endpoint: plan.endpoint,
    secrets: await generateSecretsBundle({ now: new Date() }),
    installDisk: "/dev/vda",
    additionalSans: [],
    kubernetesVersion: KUBERNETES_VERSION,
  });
  const base = stringifyConfig(configs.worker);
  const patched = parse(applyPatches(base, [nodePatch(node)], { mode: "qemu" }));
  expect(patched.machine.network).toEqual({
    hostname: "demo-worker-2",
    interfaces: [
      { interface: "eth0", dhcp: true },
      { interface: "eth1", addresses: ["10.5.0.4/24"] },
    ],
  });
  expect(patched.machine.certSANs).toEqual(["127.0.0.1", "10.5.0.4"]);
});
