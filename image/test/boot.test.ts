// Boots the built kernel + initramfs under QEMU (TCG, -cpu max for Bun's AVX) with the hello-init
// entry as stage 1: the shim must mount /proc and exec it, it must print on the serial console and
// power the machine off, which ends QEMU.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { releaseSharedTestImage, sharedTestImage } from "./image-fixture.ts";

const BOOT_TIMEOUT_MS = 120_000;
// Measured minimum for this layout (stage 1 + a rootfs.sqsh holding the binary again): 512 MB fails
// to unpack the ~135 MB (196 MB unpacked) initramfs, 576 MB boots. 768 leaves room for machined.
const GUEST_MEMORY_MB = 768;

describe("QEMU boot", () => {
  afterAll(releaseSharedTestImage);

  test(
    "the shim runs stage 1, which prints on ttyS0 and powers off",
    async () => {
      const image = await sharedTestImage();
      const cmdline = readFileSync(join(image.outDir, "cmdline"), "utf8").trim();
      const qemu = Bun.spawn(
        [
          "qemu-system-x86_64",
          ...["-accel", "tcg", "-cpu", "max", "-m", String(GUEST_MEMORY_MB), "-smp", "1"],
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
      expect(console, context).toContain("bronze-stage1: hello");
      expect(console, context).toContain("bronze-stage1: argv0=/stage1 pid=1");
      expect(console, context).toContain(`bronze-stage1: Linux version ${image.manifest.kernel.abi} `);
      expect(console, context).not.toContain("Kernel panic");
      expect(console, context).toContain("reboot: Power down");
      expect(code, context).toBe(0);
    },
    BOOT_TIMEOUT_MS + 240_000, // includes a cold build on a fresh machine
  );
});
