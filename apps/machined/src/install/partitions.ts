import { chmodSync, mkdirSync } from "node:fs";
import { MS_NODEV, MS_NOEXEC, MS_NOSUID } from "../sys/constants.ts";
import type { Sys } from "../sys/sys.ts";
import { SysError } from "../sys/sys-error.ts";
import {
  type BlockDeviceFiles,
  type BlockPartition,
  findPartition,
  listPartitions,
  REAL_BLOCK_DEVICE_FILES,
  readExtLabel,
} from "./block-devices.ts";

/** The partitions of an installed node that machined mounts (image/README.md, "Disk layout"). */
export interface NodePartitions {
  /** STATE (ext4): the machine config, mounted on the config store's directory. */
  readonly state: BlockPartition | undefined;
  /** EPHEMERAL (ext4): mounted on /var. */
  readonly ephemeral: BlockPartition | undefined;
}

export const STATE_PARTITION = "STATE";
export const EPHEMERAL_PARTITION = "EPHEMERAL";

/** STATE and EPHEMERAL, found by GPT name or filesystem label; both undefined on a diskless node. */
export function findNodePartitions(
  files: BlockDeviceFiles = REAL_BLOCK_DEVICE_FILES,
  readLabel: (devPath: string) => string | undefined = readExtLabel,
): NodePartitions {
  const all = listPartitions(files);
  return {
    state: findPartition(STATE_PARTITION, all, readLabel),
    ephemeral: findPartition(EPHEMERAL_PARTITION, all, readLabel),
  };
}

/** STATE keeps secrets and no programs; EPHEMERAL holds /var (container images run from it). */
export const STATE_MOUNT_FLAGS = MS_NOSUID | MS_NODEV | MS_NOEXEC;
export const EPHEMERAL_MOUNT_FLAGS = MS_NOSUID | MS_NODEV;

export interface PartitionMount {
  /** The partition's role, for messages: STATE, EPHEMERAL. */
  readonly role: string;
  readonly partition: BlockPartition;
  readonly target: string;
  readonly flags: number;
  /** Mode of the mounted filesystem's root (STATE: 0700), if it must be set. */
  readonly mode?: number;
}

/**
 * Mounts an ext4 partition; on failure logs a line naming the partition, the device and the errno and
 * returns false (the caller falls back to the diskless behaviour: a node must not brick over a disk).
 */
export function mountPartition(sys: Sys, m: PartitionMount, log: (line: string) => void): boolean {
  const what = `${m.role} (${m.partition.devPath})`;
  try {
    mkdirSync(m.target, { recursive: true, mode: m.mode ?? 0o755 });
    sys.mount(m.partition.devPath, m.target, "ext4", m.flags, null);
  } catch (err) {
    const why =
      err instanceof SysError
        ? `${err.code}: ${err.message}`
        : err instanceof Error
          ? err.message
          : String(err);
    log(`cannot mount the ${what} partition on ${m.target}: ${why}; falling back to a tmpfs`);
    return false;
  }
  if (m.mode !== undefined) {
    try {
      chmodSync(m.target, m.mode);
    } catch (err) {
      log(`${what}: cannot set mode ${m.mode.toString(8)} on ${m.target}: ${(err as Error).message}`);
    }
  }
  log(`mounted the ${what} partition (ext4) on ${m.target}`);
  return true;
}
