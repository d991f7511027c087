export type BootSlot = "A" | "B";

/** One word for GRUB's shell-like parser: single-quoted when it holds anything GRUB would expand. */
export function grubWord(word: string): string {
  return /^[A-Za-z0-9_.,:/=+@%-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export interface GrubConfigOptions {
  readonly kernelArgs: readonly string[];
  /** The filesystem UUIDs of the BOOT-A and BOOT-B partitions (GRUB finds each slot by it). */
  readonly slotUuids: Readonly<Record<BootSlot, string>>;
  /** The slot booted by default (A after an install). */
  readonly defaultSlot?: BootSlot;
  readonly timeoutSeconds?: number;
}

/**
 * grub.cfg (on the EFI partition, shared by the BIOS and EFI GRUBs): menu entries for slot A and
 * slot B, each finding its BOOT filesystem by UUID (a label could be another disk's) and loading /vmlinuz and /initramfs.zst from it.
 * The menu is on the serial port too.
 */
export function grubConfig(options: GrubConfigOptions): string {
  const args = options.kernelArgs.map(grubWord).join(" ");
  const entry = (slot: BootSlot) =>
    [
      `menuentry 'Bronze (slot ${slot})' --id bronze-${slot.toLowerCase()} {`,
      `  search --no-floppy --fs-uuid --set=root ${options.slotUuids[slot]}`,
      `  echo 'Loading Bronze from BOOT-${slot}...'`,
      `  linux /vmlinuz ${args}`,
      "  initrd /initramfs.zst",
      "}",
    ].join("\n");
  return [
    "# Bronze: written by the installer. Slot A and slot B, each a BOOT partition with vmlinuz and initramfs.zst.",
    `set default=bronze-${(options.defaultSlot ?? "A").toLowerCase()}`,
    `set timeout=${options.timeoutSeconds ?? 3}`,
    "serial --unit=0 --speed=115200",
    "terminal_input console serial",
    "terminal_output console serial",
    entry("A"),
    entry("B"),
    "",
  ].join("\n");
}

/**
 * The configuration embedded in the GRUB images (BIOS core.img and BOOTX64.EFI): find the EFI
 * partition by its FAT volume id and read grub.cfg from it.
 */
export function grubEarlyConfig(efiFsUuid: string): string {
  return [
    `search --no-floppy --fs-uuid --set=root ${efiFsUuid}`,
    "set prefix=($root)/boot/grub",
    "configfile ($root)/boot/grub/grub.cfg",
    "",
  ].join("\n");
}

/** Modules built into both GRUB images: everything grub.cfg uses, so no module directory is needed. */
export const GRUB_MODULES = [
  "part_gpt",
  "fat",
  "ext2",
  "search",
  "search_fs_uuid",
  "normal",
  "configfile",
  "linux",
  "serial",
  "terminal",
  "echo",
  "test",
  "gzio",
] as const;
