import { describe, expect, test } from "bun:test";
import { FloorArgvError, floorQemuArgv } from "./floor-argv.ts";

// The shape apps/osctl/src/cluster/cluster-plan.ts's qemuArgv writes for a direct kernel boot.
const node = [
  "qemu-system-x86_64",
  ...["-name", "bench-controlplane-1", "-accel", "tcg", "-cpu", "max", "-m", "1024", "-smp", "1"],
  ...["-display", "none", "-vga", "none", "-monitor", "none"],
  ...["-serial", "file:/s/serial.log", "-pidfile", "/s/qemu.pid"],
  ...["-kernel", "/out/vmlinuz", "-initrd", "/out/initramfs.zst", "-append", "console=ttyS0 pti=on"],
  ...["-netdev", "user,id=host,hostfwd=tcp:127.0.0.1:40000-:50000"],
  ...["-device", "virtio-net-pci,netdev=host,mac=52:54:00:00:00:01"],
  ...["-netdev", "socket,id=cluster,mcast=230.1.2.3:20000"],
  ...["-device", "virtio-net-pci,netdev=cluster,mac=52:54:00:00:01:01"],
];

describe("floorQemuArgv", () => {
  const floor = floorQemuArgv(node, { initrd: "/f/floor.zst", serialLog: "/f/serial.log" });

  test("keeps the machine, the kernel and its arguments", () => {
    for (const flag of ["-accel", "-cpu", "-m", "-smp", "-kernel", "-append"])
      expect(floor[floor.indexOf(flag) + 1]).toBe(node[node.indexOf(flag) + 1] as string);
    expect(floor.filter((a) => a === "-device")).toHaveLength(2);
  });

  test("swaps the initrd and the serial log, drops the pid file and the port forward", () => {
    expect(floor[floor.indexOf("-initrd") + 1]).toBe("/f/floor.zst");
    expect(floor[floor.indexOf("-serial") + 1]).toBe("file:/f/serial.log");
    expect(floor).not.toContain("-pidfile");
    expect(floor).toContain("user,id=host");
    expect(floor).toContain("socket,id=cluster,mcast=230.1.2.3:20000");
    expect(floor.join(" ")).not.toContain("hostfwd");
    expect(floor.at(-1)).toBe("-no-reboot");
  });

  test("refuses a command line without a kernel (a PXE node's)", () => {
    const pxe = node.filter((_, i) => i < node.indexOf("-kernel") || i > node.indexOf("-append") + 1);
    expect(() => floorQemuArgv(pxe, { initrd: "x", serialLog: "y" })).toThrow(FloorArgvError);
    expect(() => floorQemuArgv(pxe, { initrd: "x", serialLog: "y" })).toThrow(/no -kernel/);
  });
});
