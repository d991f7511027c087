// The partitions of the disk the node booted from that the A/B lifecycle touches, and the boot state on
// META (@bronze/image's boot-slots.ts: two copies, the older one rewritten each time).
import { closeSync, constants, fsyncSync, openSync, readSync, writeSync } from "node:fs";
import {
  currentSlotRecord,
  META_COPIES,
  META_RECORD_BYTES,
  nextSlotWrite,
  type SlotRecord,
} from "@bronze/image/boot-slots";
import {
  type BlockDeviceFiles,
  findPartition,
  listPartitions,
  REAL_BLOCK_DEVICE_FILES,
  readExtLabel,
} from "../install/block-devices.ts";

export type Slot = "A" | "B";

/** Device nodes of the system disk's partitions. */
export interface SystemDisk {
  readonly boot: Readonly<Record<Slot, string>>;
  readonly meta: string;
  /** The EFI partition (grub.cfg), when found. */
  readonly efi?: string;
}

/** The system disk, by GPT partition names; undefined when any of them is missing (diskless node). */
export function findSystemDisk(
  files: BlockDeviceFiles = REAL_BLOCK_DEVICE_FILES,
  readLabel: (devPath: string) => string | undefined = readExtLabel,
): SystemDisk | undefined {
  const all = listPartitions(files);
  const a = findPartition("BOOT-A", all, readLabel);
  const b = findPartition("BOOT-B", all, readLabel);
  const meta = all.find((p) => p.partName === "META");
  if (a === undefined || b === undefined || meta === undefined) return undefined;
  const efi = all.find((p) => p.partName === "EFI");
  return { boot: { A: a.devPath, B: b.devPath }, meta: meta.devPath, ...(efi ? { efi: efi.devPath } : {}) };
}

/** Reads and writes META's bytes (tests use a plain file). */
export interface MetaIo {
  read(device: string, length: number): Uint8Array;
  /** Writes `bytes` at `offset` and returns once they are on the disk (O_DSYNC, then fsync). */
  write(device: string, offset: number, bytes: Uint8Array): void;
}

export const REAL_META_IO: MetaIo = {
  read(device, length) {
    const fd = openSync(device, "r");
    try {
      const buf = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, buf, got, length - got, got);
        if (n === 0) break;
        got += n;
      }
      return buf;
    } finally {
      closeSync(fd);
    }
  },
  write(device, offset, bytes) {
    const fd = openSync(device, constants.O_WRONLY | constants.O_DSYNC);
    try {
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, offset + done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  },
};

/** The boot state GRUB acts on; undefined when META holds none (a disk installed before A/B upgrades). */
export function readSlotRecord(disk: SystemDisk, io: MetaIo = REAL_META_IO): SlotRecord | undefined {
  return currentSlotRecord(io.read(disk.meta, META_COPIES * META_RECORD_BYTES))?.record;
}

/**
 * Writes the next boot state into the copy that is not current, and returns it once it is on the
 * disk. A cut during the write spoils only that copy: GRUB then reads the previous state.
 */
export function writeSlotRecord(
  disk: SystemDisk,
  next: Omit<SlotRecord, "seq">,
  io: MetaIo = REAL_META_IO,
): SlotRecord {
  const write = nextSlotWrite(io.read(disk.meta, META_COPIES * META_RECORD_BYTES), next);
  io.write(disk.meta, write.offset, write.bytes);
  return write.record;
}
