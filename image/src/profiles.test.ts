import { describe, expect, test } from "bun:test";
import { kernelCmdline, MODULE_PARAMS, PROFILES, profileByName } from "./profiles.ts";

describe("profiles", () => {
  test("qemu: cloud kernel, the virtio and root modules, the documented command line", () => {
    const qemu = profileByName("qemu");
    expect(qemu.kernelMetapackage).toBe("linux-image-cloud-amd64");
    expect([...qemu.modules].sort()).toEqual([
      "loop",
      "overlay",
      "softdog",
      "squashfs",
      "virtio_blk",
      "virtio_net",
      "virtio_pci",
    ]);
    // the watchdog runs from the moment it loads (a trial boot's init has to take it over)
    expect(MODULE_PARAMS.softdog).toBe("soft_margin=120 soft_active_on_boot=1");
    expect(kernelCmdline(qemu)).toBe(
      "console=ttyS0 console=tty0 init_on_alloc=1 slab_nomerge pti=on printk.devkmsg=on bronze.platform=qemu",
    );
  });

  test("metal: generic kernel and hardware modules on top of qemu's", () => {
    const metal = PROFILES.metal;
    expect(metal.kernelMetapackage).toBe("linux-image-amd64");
    for (const m of [...PROFILES.qemu.modules, "ahci", "nvme", "e1000e", "igb", "ixgbe"])
      expect(metal.modules).toContain(m);
    expect(kernelCmdline(metal)).toEndWith(" bronze.platform=metal");
  });

  test("unknown profile", () => {
    expect(() => profileByName("aws")).toThrow('unknown profile "aws" (expected one of: qemu, metal)');
  });
});
