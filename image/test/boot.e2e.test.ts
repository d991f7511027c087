// Boots the built kernel + initramfs under QEMU (TCG, -cpu max for Bun's AVX) with the hello-init
// entry as the node binary: it must print on the serial console and power the machine off, which
// ends QEMU. Two layouts: stage1 (the shim execs the binary in the initramfs) and compact (the shim
// mounts rootfs.sqsh itself and execs /sbin/init from it).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BuiltImage, buildTestImage, releaseSharedTestImage, sharedTestImage } from "./image-fixture.ts";

const BOOT_TIMEOUT_MS = 120_000;
const BUILD_ALLOWANCE_MS = 240_000; // a cold build on a fresh machine downloads and unpacks packages

async function boot(image: BuiltImage, memoryMb: number) {
  const cmdline = readFileSync(join(image.outDir, "cmdline"), "utf8").trim();
  const qemu = Bun.spawn(
    [
      "qemu-system-x86_64",
      ...["-accel", "tcg", "-cpu", "max", "-m", String(memoryMb), "-smp", "1"],
      ...["-nographic", "-no-reboot", "-nic", "none"],
      ...["-kernel", join(image.outDir, "vmlinuz"), "-initrd", join(image.outDir, "initramfs.zst")],
      // panic=-1: a failing init reboots at once, and -no-reboot turns that into an exit
      ...["-append", `${cmdline} panic=-1`],
    ],
    { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
  );
  const timer = setTimeout(() => qemu.kill(), BOOT_TIMEOUT_MS - 5_000);
  const [console, stderr, code] = await Promise.all([
    new Response(qemu.stdout).text(),
    new Response(qemu.stderr).text(),
    qemu.exited,
  ]);
  clearTimeout(timer);
  const context = `\n--- console tail ---\n${console.split("\n").slice(-25).join("\n")}\n--- stderr ---\n${stderr}`;
  return { console, code, context };
}

describe("QEMU boot", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await releaseSharedTestImage();
  });

  // 512 MB fails to unpack this layout's initramfs (~135 MB, 196 MB unpacked: the binary is in it
  // twice, as /stage1 and inside rootfs.sqsh); 576 MB boots. 768 leaves room for machined.
  test(
    "stage1 layout: the shim runs the binary from the initramfs, which prints on ttyS0 and powers off",
    async () => {
      const image = await sharedTestImage();
      const { console, code, context } = await boot(image, 768);
      expect(console, context).toContain("bronze-stage1: hello");
      expect(console, context).toContain("bronze-stage1: argv0=/stage1 pid=1");
      expect(console, context).toContain(`bronze-stage1: Linux version ${image.manifest.kernel.abi} `);
      expect(console, context).not.toContain("Kernel panic");
      expect(console, context).toContain("reboot: Power down");
      expect(code, context).toBe(0);
    },
    BOOT_TIMEOUT_MS + BUILD_ALLOWANCE_MS,
  );

  // ~83 MB initramfs: boots in DESIGN's 384 MB (256 MB fails to unpack it).
  test(
    "compact layout in 384 MB: the shim loads the modules, mounts rootfs.sqsh and execs /sbin/init from it",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "bronze-compact-"));
      dirs.push(dir);
      const image = await buildTestImage(dir, { initramfsLayout: "compact" });
      expect(image.manifest.initramfs).toBe("compact");
      const { console, code, context } = await boot(image, 384);
      expect(console, context).toMatch(/loop0: detected capacity change/);
      expect(console, context).toContain("bronze-stage1: hello");
      expect(console, context).toContain("bronze-stage1: argv0=/sbin/init pid=1");
      expect(console, context).not.toContain("Kernel panic");
      expect(console, context).toContain("reboot: Power down");
      expect(code, context).toBe(0);
    },
    BOOT_TIMEOUT_MS + BUILD_ALLOWANCE_MS,
  );
});
