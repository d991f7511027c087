import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { InstallerError } from "./installer-error.ts";

/** What the installer needs to know about a disk before touching it. */
export interface DiskInfo {
  /** The resolved device node, e.g. /dev/loop3 or /dev/sdb. */
  readonly path: string;
  readonly sizeBytes: number;
  /** Its partitions' device nodes, in partition order. */
  readonly partitions: readonly string[];
  /** Mount points of the disk or its partitions (from /proc/mounts), e.g. "/dev/sdb1 on /boot". */
  readonly mounts: readonly string[];
}

/** Where /sys, /proc/mounts and /dev are (tests point them elsewhere). */
export interface SystemFiles {
  readonly sysClassBlock: string;
  readonly procMounts: string;
  readonly dev: string;
}

export const REAL_SYSTEM_FILES: SystemFiles = {
  sysClassBlock: "/sys/class/block",
  procMounts: "/proc/mounts",
  dev: "/dev",
};

/** /proc/mounts lines as [source, target], octal escapes (\040) decoded. */
export function parseProcMounts(text: string): Array<[string, string]> {
  const decodeOctal = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
  const out: Array<[string, string]> = [];
  for (const line of text.split("\n")) {
    const [source, target] = line.split(" ");
    if (source && target) out.push([decodeOctal(source), decodeOctal(target)]);
  }
  return out;
}

/** The partitions of block device `name` from sysfs: [number, name], sorted by number. */
export function sysfsPartitions(sysClassBlock: string, name: string): Array<[number, string]> {
  const dir = join(sysClassBlock, name);
  const out: Array<[number, string]> = [];
  for (const entry of readdirSync(dir)) {
    if (!entry.startsWith(name)) continue;
    const file = join(dir, entry, "partition");
    if (existsSync(file)) out.push([Number(readFileSync(file, "utf8").trim()), entry]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** Reads a whole disk's size, partitions and mounts; refuses what is not a whole-disk block device. */
export function inspectDisk(device: string, files: SystemFiles = REAL_SYSTEM_FILES): DiskInfo {
  let path: string;
  try {
    path = realpathSync(device);
  } catch {
    throw new InstallerError("NotBlockDevice", `${device} does not exist`);
  }
  if (!statSync(path).isBlockDevice())
    throw new InstallerError("NotBlockDevice", `${device} is not a block device`);
  const name = basename(path);
  const sys = join(files.sysClassBlock, name);
  if (!existsSync(sys))
    throw new InstallerError(
      "NotBlockDevice",
      `${device}: no ${sys} (not a block device known to the kernel)`,
    );
  if (existsSync(join(sys, "partition")))
    throw new InstallerError("BadInput", `${device} is a partition: give the whole disk`);
  const sizeBytes = Number(readFileSync(join(sys, "size"), "utf8").trim()) * 512;
  const partitions = sysfsPartitions(files.sysClassBlock, name).map(([, p]) => join(files.dev, p));
  const ours = new Set([path, ...partitions]);
  const mounts = parseProcMounts(readFileSync(files.procMounts, "utf8"))
    .filter(([source]) => ours.has(source))
    .map(([source, target]) => `${source} on ${target}`);
  return { path, sizeBytes, partitions, mounts };
}

/**
 * The device node of partition `number` of `disk`, once the kernel has it (polls sysfs: without
 * udev the node appears when the kernel re-reads the table).
 */
export async function partitionDevice(
  disk: string,
  number: number,
  files: SystemFiles = REAL_SYSTEM_FILES,
  timeoutMs = 10_000,
): Promise<string> {
  const name = basename(disk);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = sysfsPartitions(files.sysClassBlock, name).find(([n]) => n === number);
    if (found) {
      const node = join(files.dev, found[1]);
      if (existsSync(node)) return node;
    }
    if (Date.now() > deadline)
      throw new InstallerError(
        "ToolFailed",
        `partition ${number} of ${disk} did not appear within ${timeoutMs} ms`,
      );
    await Bun.sleep(100);
  }
}
