import { describe, expect, test } from "bun:test";
import {
  formatModulesDep,
  moduleName,
  parseModulesBuiltin,
  parseModulesDep,
  resolveModules,
} from "./module-deps.ts";

// An excerpt of Debian 6.1 cloud-amd64's modules.dep (as depmod writes it: the full closure, reverse load order).
const FIXTURE = `kernel/fs/squashfs/squashfs.ko:
kernel/fs/overlayfs/overlay.ko:
kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/block/loop.ko:
kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/net/core/failover.ko:
kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/usb/host/xhci-pci.ko:
`;

describe("module dependencies", () => {
  const dep = parseModulesDep(FIXTURE);

  test("moduleName strips the directory and the compression suffix and folds dashes", () => {
    expect(moduleName("kernel/drivers/net/virtio_net.ko")).toBe("virtio_net");
    expect(moduleName("kernel/drivers/usb/host/xhci-pci.ko.xz")).toBe("xhci_pci");
    expect(moduleName("a/b.ko.zst")).toBe("b");
  });

  test("resolves the qemu set: every module after its dependencies, each once, in modprobe's order", () => {
    const { load, builtin } = resolveModules(dep, [
      "virtio_pci",
      "virtio_blk",
      "virtio_net",
      "loop",
      "squashfs",
      "overlay",
    ]);
    expect(builtin).toEqual([]);
    expect(load.map(moduleName)).toEqual([
      "virtio_ring",
      "virtio",
      "virtio_pci_modern_dev",
      "virtio_pci_legacy_dev",
      "virtio_pci",
      "virtio_blk",
      "failover",
      "net_failover",
      "virtio_net",
      "loop",
      "squashfs",
      "overlay",
    ]);
    for (const [i, path] of load.entries()) {
      for (const d of dep.get(path) ?? []) expect(load.indexOf(d)).toBeLessThan(i);
    }
  });

  test("names with dashes match, built-in modules are reported, unknown ones are errors", () => {
    const builtin = parseModulesBuiltin("kernel/drivers/block/virtio_blk.ko\nkernel/fs/ext4/ext4.ko\n");
    expect(resolveModules(dep, ["xhci-pci", "ext4"], builtin)).toEqual({
      load: ["kernel/drivers/usb/host/xhci-pci.ko"],
      builtin: ["ext4"],
    });
    expect(() => resolveModules(dep, ["nvme"], builtin)).toThrow(
      "kernel module nvme is neither in modules.dep nor built in",
    );
  });

  test("cycles and dangling dependencies are errors", () => {
    const cyclic = parseModulesDep("a.ko: b.ko\nb.ko: a.ko\n");
    expect(() => resolveModules(cyclic, ["a"])).toThrow("module dependency cycle: a -> b -> a");
    const dangling = parseModulesDep("a.ko: c.ko\n");
    expect(() => resolveModules(dangling, ["a"])).toThrow("a depends on c.ko, which it does not list");
  });

  test("parse errors give the line", () => {
    expect(() => parseModulesDep("a.ko:\nnonsense\n", "x/modules.dep")).toThrow(
      'x/modules.dep:2: expected "module.ko: deps...", got "nonsense"',
    );
  });

  test("formatModulesDep writes the subset back in depmod's format", () => {
    const { load } = resolveModules(dep, ["virtio_blk"]);
    const text = formatModulesDep(dep, load);
    expect(text).toBe(
      "kernel/drivers/virtio/virtio_ring.ko:\n" +
        "kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko\n" +
        "kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n",
    );
    expect(parseModulesDep(text).size).toBe(3);
  });
});
