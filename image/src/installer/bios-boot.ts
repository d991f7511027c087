// GRUB's BIOS boot code written directly (what grub-bios-setup does when it embeds core.img in a
// GPT BIOS boot partition), without grub-bios-setup's guessing of the host's root device.
import { InstallerError } from "./installer-error.ts";

const SECTOR = 512;
/** boot.img offsets (grub/include/grub/i386/pc/boot.h). */
const KERNEL_SECTOR = 0x5c;
const BOOT_DRIVE = 0x64;
const DRIVE_CHECK = 0x66;
/** From here on sector 0 keeps the disk's own bytes: disk signature, partition table, 0x55AA. */
const WINDOWS_NT_MAGIC = 0x1b8;
/** diskboot.img's first blocklist entry: the last 12 bytes of core.img's first sector. */
const BLOCKLIST = SECTOR - 12;
/** Where diskboot.img loads the rest of core.img (GRUB_BOOT_I386_PC_KERNEL_SEG + 0x20). */
const LOAD_SEGMENT = 0x820;

export interface BiosBootSectors {
  /** The new sector 0 (boot.img patched, the disk's partition table kept). */
  readonly mbr: Uint8Array;
  /** core.img, padded to whole sectors, its blocklist pointing at the following sectors. */
  readonly core: Uint8Array;
}

/**
 * Patches boot.img and core.img for a core.img written at `coreLba` (the BIOS boot partition's start,
 * `capacitySectors` long). `currentMbr` is the disk's sector 0 (its protective MBR).
 */
export function biosBootSectors(
  bootImg: Uint8Array,
  coreImg: Uint8Array,
  currentMbr: Uint8Array,
  coreLba: number,
  capacitySectors: number,
): BiosBootSectors {
  if (bootImg.length !== SECTOR)
    throw new InstallerError("BadInput", `boot.img must be ${SECTOR} bytes, got ${bootImg.length}`);
  if (currentMbr.length !== SECTOR)
    throw new InstallerError("BadInput", `sector 0 must be ${SECTOR} bytes, got ${currentMbr.length}`);
  const sectors = Math.ceil(coreImg.length / SECTOR);
  if (sectors > capacitySectors)
    throw new InstallerError(
      "TooSmall",
      `core.img needs ${sectors} sectors; the BIOS boot partition has ${capacitySectors}`,
    );
  if (sectors > 0xffff) throw new InstallerError("TooSmall", `core.img is too big (${sectors} sectors)`);
  const mbr = new Uint8Array(bootImg);
  mbr.set(currentMbr.subarray(WINDOWS_NT_MAGIC), WINDOWS_NT_MAGIC);
  const mbrView = new DataView(mbr.buffer);
  mbrView.setBigUint64(KERNEL_SECTOR, BigInt(coreLba), true);
  mbr[BOOT_DRIVE] = 0xff; // boot from the drive the BIOS booted
  mbr[DRIVE_CHECK] = 0x90; // no floppy probing: a hard disk
  mbr[DRIVE_CHECK + 1] = 0x90;

  const core = new Uint8Array(sectors * SECTOR);
  core.set(coreImg);
  const coreView = new DataView(core.buffer);
  coreView.setBigUint64(BLOCKLIST, BigInt(coreLba + 1), true);
  coreView.setUint16(BLOCKLIST + 8, sectors - 1, true);
  coreView.setUint16(BLOCKLIST + 10, LOAD_SEGMENT, true);
  return { mbr, core };
}
