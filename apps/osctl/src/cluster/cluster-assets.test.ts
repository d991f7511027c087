import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkAssets, parseBootMethod } from "./cluster-assets.ts";

const dir = mkdtempSync(join(tmpdir(), "osctl-assets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("--boot: kernel, pxe or disk; anything else is a usage error naming it", () => {
  for (const boot of ["kernel", "pxe", "disk"] as const) expect(parseBootMethod(boot)).toBe(boot);
  expect(() => parseBootMethod("floppy")).toThrow('--boot: "floppy" (expected kernel, pxe or disk)');
  expect(() => parseBootMethod("cdrom")).toThrow(expect.objectContaining({ code: "usage", exitCode: 2 }));
});

test("a kernel or PXE boot needs the kernel, initramfs and cmdline; a disk boot disk.raw only", () => {
  const kernelOnly = join(dir, "kernel-only");
  mkdirSync(kernelOnly);
  writeFileSync(join(kernelOnly, "vmlinuz"), "");
  writeFileSync(join(kernelOnly, "initramfs.zst"), "");
  writeFileSync(join(kernelOnly, "cmdline"), "console=ttyS0 bronze.platform=qemu\n");
  const assets = checkAssets(kernelOnly, "pxe");
  expect(assets).toEqual({
    kernel: join(kernelOnly, "vmlinuz"),
    initrd: join(kernelOnly, "initramfs.zst"),
    cmdline: "console=ttyS0 bronze.platform=qemu\n",
    disk: join(kernelOnly, "disk.raw"),
  });
  expect(() => checkAssets(kernelOnly, "disk")).toThrow(
    `--assets ${kernelOnly}: missing ${join(kernelOnly, "disk.raw")} (build them with`,
  );
  writeFileSync(join(dir, "disk.raw"), "");
  expect(checkAssets(dir, "disk").cmdline).toBe("");
  expect(() => checkAssets(dir, "kernel")).toThrow(
    `missing ${["vmlinuz", "initramfs.zst", "cmdline"].map((f) => join(dir, f)).join(", ")}`,
  );
  expect(() => checkAssets(join(dir, "nowhere"), "kernel")).toThrow(
    expect.objectContaining({ name: "CliError", code: "not-found", exitCode: 1 }),
  );
});
