// @bronze/image's API for apps (osctl's `image install`, machined's install later): the installer
// and the disk image builder. The artifact build itself is run through src/main.ts.
export { buildDiskImage, type DiskImage, type DiskImageOptions } from "./disk/disk-image.ts";
// The boot-time floor for `bun run bench` (tests/e2e/bench/boot.bench.ts): the node's kernel with a
// trivial Bun init that powers off.
export {
  buildFloorInitramfs,
  FLOOR_READY_LINE,
  type FloorInitramfs,
  type FloorInitramfsOptions,
} from "./floor-initramfs.ts";
export { type DiskInfo, inspectDisk } from "./installer/block-device.ts";
export {
  bootSlotMiB,
  type DiskLayout,
  minimumDiskMiB,
  type PartitionName,
  type PartitionPlan,
  planLayout,
} from "./installer/disk-layout.ts";
export { type BootSlot, GRUB_ARGS_LINE, grubConfig, grubWord, slotUuidsOf } from "./installer/grub-config.ts";
export {
  GRUB_CFG_PATH,
  INSTALL_ARTIFACTS,
  type InstallOptions,
  type InstallResult,
  installToDisk,
} from "./installer/install-to-disk.ts";
export { InstallerError, type InstallerErrorCode } from "./installer/installer-error.ts";
export {
  INSTALL_PLATFORMS,
  type InstallPlatform,
  kernelCommandLine,
} from "./installer/kernel-command-line.ts";
export { readExtUuid, type SlotWriteOptions, writeBootSlot } from "./installer/slot-write.ts";
export {
  INSTALLER_PACKAGES,
  INSTALLER_TOOLS,
  type InstallerTool,
  installerToolRunner,
} from "./installer-tools.ts";
export { runTool } from "./run-tool.ts";
