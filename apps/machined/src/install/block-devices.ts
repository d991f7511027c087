import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";

/** A partition the kernel knows, from sysfs (no udev on a Bronze node). */
export interface BlockPartition {
  /** The kernel's name, e.g. `vda6`. */
  readonly name: string;
  /** Its device node, e.g. `/dev/vda6` (devtmpfs creates it). */
  readonly devPath: string;
  /** The GPT partition name (`PARTNAME=` in the uevent file), when the table has one. */
  readonly partName: string | undefined;
}

/** Where sysfs's block class and /dev are (tests point them at fixture directories). */
export interface BlockDeviceFiles {
  readonly sysClassBlock: string;
  readonly dev: string;
}

export const REAL_BLOCK_DEVICE_FILES: BlockDeviceFiles = { sysClassBlock: "/sys/class/block", dev: "/dev" };

/** `KEY=value` lines of a sysfs uevent file. */
export function parseUevent(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}

/** Every partition in `<sysClassBlock>` (entries with a `partition` file), sorted by kernel name. */
export function listPartitions(files: BlockDeviceFiles = REAL_BLOCK_DEVICE_FILES): BlockPartition[] {
  if (!existsSync(files.sysClassBlock)) return [];
  const out: BlockPartition[] = [];
  for (const entry of readdirSync(files.sysClassBlock).sort()) {
    const dir = join(files.sysClassBlock, entry);
    if (!existsSync(join(dir, "partition"))) continue;
    let uevent = new Map<string, string>();
    try {
      uevent = parseUevent(readFileSync(join(dir, "uevent"), "utf8"));
    } catch {
      // No uevent file: the entry name is the device name, and there is no GPT name.
    }
    const name = uevent.get("DEVNAME") ?? entry;
    out.push({ name, devPath: join(files.dev, name), partName: uevent.get("PARTNAME") });
  }
  return out;
}

const EXT_SUPERBLOCK = 1024;
const EXT_MAGIC_OFFSET = 0x38;
const EXT_LABEL_OFFSET = 0x78;
const EXT_LABEL_LENGTH = 16;

/** The ext2/3/4 volume label of a device (or image file); undefined when unreadable or not ext. */
export function readExtLabel(devPath: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(devPath, "r");
  } catch {
    return undefined;
  }
  try {
    const sb = Buffer.alloc(EXT_LABEL_OFFSET + EXT_LABEL_LENGTH);
    if (readSync(fd, sb, 0, sb.length, EXT_SUPERBLOCK) < sb.length) return undefined;
    if (sb.readUInt16LE(EXT_MAGIC_OFFSET) !== 0xef53) return undefined;
    const raw = sb.subarray(EXT_LABEL_OFFSET, EXT_LABEL_OFFSET + EXT_LABEL_LENGTH);
    const end = raw.indexOf(0);
    const label = raw.subarray(0, end === -1 ? raw.length : end).toString("utf8");
    return label === "" ? undefined : label;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * The partition called `name`: by GPT partition name first, then by ext filesystem label (a disk
 * without GPT names). The first in kernel-name order when several match; undefined when none does.
 */
export function findPartition(
  name: string,
  partitions: readonly BlockPartition[],
  readLabel: (devPath: string) => string | undefined = readExtLabel,
): BlockPartition | undefined {
  return partitions.find((p) => p.partName === name) ?? partitions.find((p) => readLabel(p.devPath) === name);
}
