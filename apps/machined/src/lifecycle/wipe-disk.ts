// WipeDisk (MachineService, `osctl wipe disk`): erases a disk that is not the system disk and has
// nothing mounted. "fast" zeroes the first and last MiB (partition tables, GPT's backup, filesystem
// signatures at the start); "zeroes" every byte.
import { existsSync, realpathSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { blockDeviceBytes, zeroRange } from "./reset.ts";

export const WIPE_METHODS = ["fast", "zeroes"] as const;
export type WipeMethod = (typeof WIPE_METHODS)[number];

export class WipeDiskError extends Error {
  override readonly name = "WipeDiskError";
  constructor(
    readonly code: "InvalidArgument" | "FailedPrecondition" | "NotFound",
    message: string,
  ) {
    super(message);
  }
}

export interface WipeDiskDeps {
  readonly sysClassBlock?: string;
  /** The whole disks holding the node's own partitions (BOOT-A/B, META, STATE, EPHEMERAL). */
  readonly systemDisks: () => readonly string[];
  /** What is mounted from the disk or its partitions (e.g. "/dev/vdb1 on /mnt"). */
  readonly mounts: (device: string) => Promise<readonly string[]>;
  readonly zero?: (device: string, offset: number, length: number) => Promise<number>;
  readonly log: (line: string) => void;
}

const MIB = 1024 * 1024;

export async function wipeDisk(device: string, method: string, deps: WipeDiskDeps): Promise<number> {
  const how = (method === "" ? "fast" : method) as WipeMethod;
  if (!WIPE_METHODS.includes(how))
    throw new WipeDiskError("InvalidArgument", `--method ${JSON.stringify(method)}: expected fast or zeroes`);
  const m = /^\/dev\/([a-z][a-z0-9]*)$/.exec(device);
  if (m === null)
    throw new WipeDiskError(
      "InvalidArgument",
      `${JSON.stringify(device)} is not a disk's device node (e.g. /dev/vdb)`,
    );
  const name = m[1] as string;
  const sys = deps.sysClassBlock ?? "/sys/class/block";
  if (!existsSync(join(sys, name)))
    throw new WipeDiskError("NotFound", `${device}: no such disk on this node`);
  if (existsSync(join(sys, name, "partition")))
    throw new WipeDiskError("InvalidArgument", `${device} is a partition: give the whole disk`);
  if (deps.systemDisks().includes(device))
    throw new WipeDiskError(
      "FailedPrecondition",
      `${device} is the system disk (the boot slots, STATE and EPHEMERAL): use osctl reset to wipe the node's state`,
    );
  const mounts = await deps.mounts(device);
  if (mounts.length > 0)
    throw new WipeDiskError("FailedPrecondition", `${device} is in use: ${mounts.join(", ")}`);
  const size = blockDeviceBytes(device, sys);
  const zero = deps.zero ?? zeroRange;
  let bytes = 0;
  if (how === "zeroes" || size <= 2 * MIB) bytes = await zero(device, 0, size);
  else {
    bytes += await zero(device, 0, MIB);
    bytes += await zero(device, size - MIB, MIB);
  }
  deps.log(`wipe disk: ${device} (${(size / MIB).toFixed(0)} MiB): ${how}, ${bytes} bytes zeroed`);
  return bytes;
}

/** The whole disk a partition is on (/dev/vda for /dev/vda6), from sysfs. */
export function parentDisk(partition: string, sysClassBlock = "/sys/class/block"): string {
  const real = realpathSync(join(sysClassBlock, basename(partition)));
  return `/dev/${basename(dirname(real))}`;
}
