import { describe, expect, test } from "bun:test";
import { bootIpxe } from "./boot-ipxe.ts";

describe("bootIpxe", () => {
  test("loads the kernel and the initramfs from the base-url setting with the given arguments and bronze.assets=", () => {
    const script = bootIpxe("console=ttyS0 bronze.platform=metal");
    const lines = script.split("\n");
    expect(lines[0]).toBe("#!ipxe");
    const commands = lines.filter((l) => l !== "" && !l.startsWith("#"));
    const base = ["$", "{base-url}"].join("");
    expect(commands).toEqual([
      `kernel ${base}/vmlinuz initrd=initramfs.zst console=ttyS0 bronze.platform=metal bronze.assets=${base}`,
      `initrd ${base}/initramfs.zst`,
      "boot",
    ]);
  });
});
