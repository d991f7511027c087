import { createHash } from "node:crypto";
import { InstallerError } from "./installer-error.ts";

export const MIB = 1024 * 1024;
const SECTOR = 512;

/** GPT partition type GUIDs. */
export const PARTITION_TYPES = {
  biosBoot: "21686148-6449-6E6F-744E-656564454649",
  efiSystem: "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
  linuxFilesystem: "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
} as const;

export type PartitionName = "BIOS" | "EFI" | "BOOT-A" | "BOOT-B" | "META" | "STATE" | "EPHEMERAL";
export type PartitionFormat = "none" | "vfat" | "ext4";

export interface PartitionPlan {
  /** 1-based partition number. */
  readonly number: number;
  /** GPT partition name, and the filesystem label when formatted. */
  readonly name: PartitionName;
  readonly type: string;
  readonly format: PartitionFormat;
  readonly startMiB: number;
  readonly sizeMiB: number;
  /** Partition UUID (lower case). */
  readonly uuid: string;
}

export interface DiskLayout {
  readonly diskMiB: number;
  /** The GPT disk identifier. */
  readonly diskId: string;
  readonly partitions: readonly PartitionPlan[];
}

export const EFI_MIB = 100;
export const META_MIB = 1;
export const STATE_MIB = 100;
export const MIN_EPHEMERAL_MIB = 64;
/** A boot slot holds one vmlinuz + initramfs.zst; never smaller than this. */
export const MIN_BOOT_SLOT_MIB = 300;

/** A boot slot's size for artifacts of `bytes` in total: 25 % headroom for a bigger next release. */
export function bootSlotMiB(bytes: number): number {
  return Math.max(MIN_BOOT_SLOT_MIB, Math.ceil((bytes * 1.25) / MIB) + 16);
}

/** The smallest disk (MiB) holding the layout with `slotMiB` boot slots. */
export function minimumDiskMiB(slotMiB: number): number {
  // 1 MiB before the first partition (GPT, alignment), 1 MiB after the last (backup GPT)
  return 1 + 1 + EFI_MIB + 2 * slotMiB + META_MIB + STATE_MIB + MIN_EPHEMERAL_MIB + 1;
}

/** A UUID from `seed` and `what` (reproducible disks), or a random one without a seed. */
export function layoutUuid(seed: string | undefined, what: string): string {
  if (seed === undefined) return crypto.randomUUID();
  const h = createHash("sha256").update(`${seed}\0${what}`).digest("hex");
  // RFC 4122 version 4 / variant 1 bits, so that tools accept it as an ordinary random UUID
  const variant = ((Number.parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The Talos-like layout: BIOS boot (1 MiB), EFI (100 MiB FAT32), BOOT-A and BOOT-B (`slotMiB` each),
 * META (1 MiB), STATE (100 MiB ext4), EPHEMERAL (the rest, ext4).
 */
export function planLayout(diskBytes: number, slotMiB: number, seed?: string): DiskLayout {
  if (!Number.isInteger(slotMiB) || slotMiB < 1)
    throw new InstallerError("BadInput", `boot slot size must be a positive number of MiB, got ${slotMiB}`);
  const diskMiB = Math.floor(diskBytes / MIB);
  const needed = minimumDiskMiB(slotMiB);
  if (diskMiB < needed)
    throw new InstallerError(
      "TooSmall",
      `the disk has ${diskMiB} MiB; the layout needs at least ${needed} MiB (boot slots of ${slotMiB} MiB)`,
    );
  const fixed: Array<[PartitionName, string, PartitionFormat, number]> = [
    ["BIOS", PARTITION_TYPES.biosBoot, "none", 1],
    ["EFI", PARTITION_TYPES.efiSystem, "vfat", EFI_MIB],
    ["BOOT-A", PARTITION_TYPES.linuxFilesystem, "ext4", slotMiB],
    ["BOOT-B", PARTITION_TYPES.linuxFilesystem, "ext4", slotMiB],
    ["META", PARTITION_TYPES.linuxFilesystem, "none", META_MIB],
    ["STATE", PARTITION_TYPES.linuxFilesystem, "ext4", STATE_MIB],
  ];
  const partitions: PartitionPlan[] = [];
  let start = 1;
  for (const [name, type, format, size] of fixed) {
    partitions.push({
      number: partitions.length + 1,
      name,
      type,
      format,
      startMiB: start,
      sizeMiB: size,
      uuid: layoutUuid(seed, name),
    });
    start += size;
  }
  partitions.push({
    number: partitions.length + 1,
    name: "EPHEMERAL",
    type: PARTITION_TYPES.linuxFilesystem,
    format: "ext4",
    startMiB: start,
    sizeMiB: diskMiB - 1 - start,
    uuid: layoutUuid(seed, "EPHEMERAL"),
  });
  return { diskMiB, diskId: layoutUuid(seed, "disk"), partitions };
}

/** The layout as an sfdisk script (GPT, sizes in 512-byte sectors). */
export function sfdiskScript(layout: DiskLayout): string {
  const sectors = (mib: number) => (mib * MIB) / SECTOR;
  const lines = ["label: gpt", `label-id: ${layout.diskId.toUpperCase()}`, "unit: sectors", ""];
  for (const p of layout.partitions) {
    lines.push(
      `start=${sectors(p.startMiB)}, size=${sectors(p.sizeMiB)}, type=${p.type}, uuid=${p.uuid.toUpperCase()}, name="${p.name}"`,
    );
  }
  return `${lines.join("\n")}\n`;
}
