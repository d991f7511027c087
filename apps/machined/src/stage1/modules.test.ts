import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ModuleError, parseModuleList, resolveModuleOrder } from "./modules.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dir, "testdata", name), "utf8");

function caught(run: () => void): ModuleError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ModuleError);
    return err as ModuleError;
  }
  throw new Error("expected a ModuleError");
}

describe("module lists", () => {
  test("parseModuleList reads names, parameters and comments", () => {
    expect(parseModuleList(fixture("modules.list"))).toEqual([
      { name: "virtio_pci", params: "" },
      { name: "virtio_blk", params: "" },
      { name: "virtio_net", params: "napi_tx=1" },
      { name: "loop", params: "max_loop=8" },
      { name: "squashfs", params: "" },
      { name: "ext4", params: "" },
      { name: "overlay", params: "" },
    ]);
    expect(() => parseModuleList("ok\n=bad\n", "/etc/bronze/modules")).toThrow("/etc/bronze/modules:2");
  });

  test("a modules.dep line without a module is a BadModulesDep error naming the line", () => {
    const err = caught(() => resolveModuleOrder([{ name: "a", params: "" }], "a.ko:\n: b.ko\n"));
    expect(err.code).toBe("BadModulesDep");
    expect(err.message).toContain("modules.dep:2");
  });
});

describe("resolveModuleOrder", () => {
  test("dependencies first, each module once, builtins skipped (fixture modules.dep)", () => {
    const { loads, builtin } = resolveModuleOrder(
      parseModuleList(fixture("modules.list")),
      fixture("modules.dep"),
      fixture("modules.builtin"),
    );
    // modprobe's order: each module's dependencies from the end of its modules.dep line.
    expect(loads.map((l) => l.name)).toEqual([
      "virtio",
      "virtio_ring",
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
    expect(loads.find((l) => l.name === "virtio_net")?.params).toBe("napi_tx=1");
    expect(loads.find((l) => l.name === "loop")).toEqual({
      name: "loop",
      path: "kernel/drivers/block/loop.ko",
      params: "max_loop=8",
    });
    expect(builtin).toEqual(["ext4"]);
  });

  test("an unknown module is an error naming it", () => {
    const err = caught(() => resolveModuleOrder([{ name: "nvme", params: "" }], fixture("modules.dep")));
    expect(err.code).toBe("UnknownModule");
    expect(err.message).toContain("module nvme is neither in modules.dep nor built in");
  });

  test("a cycle or a dangling dependency in modules.dep is reported", () => {
    const cycle = caught(() => resolveModuleOrder([{ name: "a", params: "" }], "a.ko: b.ko\nb.ko: a.ko\n"));
    expect(cycle.code).toBe("BadModulesDep");
    expect(cycle.message).toContain("dependency cycle: a -> b -> a");
    const dangling = caught(() => resolveModuleOrder([{ name: "a", params: "" }], "a.ko: gone.ko\n"));
    expect(dangling.code).toBe("BadModulesDep");
    expect(dangling.message).toContain("a depends on gone.ko, which it does not list");
  });
});
