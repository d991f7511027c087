import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ModuleError,
  moduleName,
  parseModuleList,
  parseModulesBuiltin,
  parseModulesDep,
  resolveModuleOrder,
} from "./modules.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dir, "testdata", name), "utf8");

describe("module lists", () => {
  test("moduleName strips the directory and extension and uses underscores", () => {
    expect(moduleName("kernel/drivers/block/virtio_blk.ko.xz")).toBe("virtio_blk");
    expect(moduleName("kernel/drivers/block/loop.ko")).toBe("loop");
    expect(moduleName("extra/my-mod.ko.zst")).toBe("my_mod");
  });

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

  test("parseModulesDep rejects a line without a module", () => {
    expect(() => parseModulesDep("a.ko:\n: b.ko\n")).toThrow("modules.dep:2");
  });
});

describe("resolveModuleOrder", () => {
  test("dependencies first, each module once, builtins skipped (fixture modules.dep)", () => {
    const { loads, builtin } = resolveModuleOrder(
      parseModuleList(fixture("modules.list")),
      parseModulesDep(fixture("modules.dep")),
      parseModulesBuiltin(fixture("modules.builtin")),
    );
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
    const err = (() => {
      try {
        resolveModuleOrder([{ name: "nvme", params: "" }], parseModulesDep(fixture("modules.dep")));
      } catch (e) {
        return e as ModuleError;
      }
    })();
    expect(err).toBeInstanceOf(ModuleError);
    expect(err?.code).toBe("UnknownModule");
    expect(err?.message).toContain("module nvme");
  });

  test("a cycle or a dangling dependency in modules.dep is reported", () => {
    expect(() =>
      resolveModuleOrder([{ name: "a", params: "" }], parseModulesDep("a.ko: b.ko\nb.ko: a.ko\n")),
    ).toThrow("dependency cycle: a.ko -> b.ko -> a.ko");
    expect(() => resolveModuleOrder([{ name: "a", params: "" }], parseModulesDep("a.ko: gone.ko\n"))).toThrow(
      "no entry for it",
    );
  });
});
