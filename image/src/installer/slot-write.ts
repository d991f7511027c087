import {
  closeSync,
  copyFileSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
} from "node:fs";
import { join } from "node:path";
import { ImageError } from "../image-error.ts";
import { type RunTool, runTool } from "../run-tool.ts";
import type { BootSlot } from "./grub-config.ts";
import { InstallerError } from "./installer-error.ts";

const EXT_SUPERBLOCK = 1024;
const EXT_MAGIC_OFFSET = 0x38;
const EXT_UUID_OFFSET = 0x68;

/** The ext2/3/4 filesystem UUID of a device (lower case); undefined when it holds no ext filesystem. */
export function readExtUuid(device: string): string | undefined {
  const fd = openSync(device, "r");
  try {
    const sb = Buffer.alloc(EXT_UUID_OFFSET + 16);
    if (readSync(fd, sb, 0, sb.length, EXT_SUPERBLOCK) < sb.length) return undefined;
    if (sb.readUInt16LE(EXT_MAGIC_OFFSET) !== 0xef53) return undefined;
    const h = sb.subarray(EXT_UUID_OFFSET, EXT_UUID_OFFSET + 16).toString("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  } finally {
    closeSync(fd);
  }
}

export interface SlotWriteOptions {
  readonly slot: BootSlot;
  /** The slot's partition, e.g. /dev/vda4 for BOOT-B. */
  readonly device: string;
  /** Holds vmlinuz, initramfs.zst and cmdline (verified by the caller). */
  readonly artifactsDir: string;
  /** The filesystem UUID grub.cfg finds the slot by: kept across rewrites. */
  readonly fsUuid: string;
  /** For the installer's temporary tree. */
  readonly workDir: string;
  readonly run?: RunTool;
}

/**
 * Writes a boot slot whole: a new ext4 filesystem with the slot's label and its old UUID, filled at
 * mkfs time (-d; nothing is mounted), then the device flushed. Only ever called for a slot GRUB does not
 * boot by default, so a cut in the middle leaves the committed slot untouched.
 */
export async function writeBootSlot(options: SlotWriteOptions): Promise<void> {
  const run = options.run ?? runTool;
  const tree = mkdtempSync(join(options.workDir, `slot-${options.slot.toLowerCase()}-`));
  try {
    const content = join(tree, "root");
    mkdirSync(content);
    for (const f of ["vmlinuz", "initramfs.zst", "cmdline"]) {
      try {
        linkSync(join(options.artifactsDir, f), join(content, f));
      } catch {
        copyFileSync(join(options.artifactsDir, f), join(content, f));
      }
    }
    const argv = ["mkfs.ext4", "-q", "-F", "-L", `BOOT-${options.slot}`, "-U", options.fsUuid, "-d", content];
    try {
      await run([...argv, options.device]);
    } catch (cause) {
      if (cause instanceof ImageError)
        throw new InstallerError(
          "ToolFailed",
          `writing slot ${options.slot} on ${options.device}: ${cause.message}`,
          { cause },
        );
      throw cause;
    }
    // mkfs writes through the block device's page cache: on the disk before the slot is pointed at
    const fd = openSync(options.device, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}
