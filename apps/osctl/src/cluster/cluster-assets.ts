// The image's artifacts a local cluster boots from (`--assets`, `--boot`): the kernel, initramfs
// and cmdline for a kernel or PXE boot, disk.raw for a disk boot.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CliError, usageError } from "../cli-error.ts";
import type { BootMethod } from "./cluster-plan.ts";

export interface ClusterAssets {
  kernel: string;
  initrd: string;
  /** The image's kernel command line; empty for a disk boot (GRUB's config carries it). */
  cmdline: string;
  disk: string;
}

export function parseBootMethod(value: string): BootMethod {
  if (value !== "kernel" && value !== "pxe" && value !== "disk")
    throw usageError(`--boot: "${value}" (expected kernel, pxe or disk)`);
  return value;
}

/** The artifacts `boot` needs, each checked to exist, naming the missing ones and how to build them. */
export function checkAssets(dir: string, boot: BootMethod): ClusterAssets {
  const needed = boot === "disk" ? ["disk.raw"] : ["vmlinuz", "initramfs.zst", "cmdline"];
  const missing = needed.map((f) => join(dir, f)).filter((f) => !existsSync(f));
  if (missing.length > 0)
    throw new CliError(
      "not-found",
      `--assets ${dir}: missing ${missing.join(", ")} (build them with \`bun image/src/main.ts build --profile qemu --out ${dir}\`)`,
    );
  return {
    kernel: join(dir, "vmlinuz"),
    initrd: join(dir, "initramfs.zst"),
    cmdline: boot === "disk" ? "" : readFileSync(join(dir, "cmdline"), "utf8"),
    disk: join(dir, "disk.raw"),
  };
}
