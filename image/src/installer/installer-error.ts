/** What went wrong while writing Bronze to a disk. */
export type InstallerErrorCode =
  | "BadInput" // an option is invalid (platform, config URL, kernel argument, size)
  | "NotBlockDevice" // the target is missing or not a block device
  | "HasPartitions" // the disk holds partitions or a filesystem, and wipe was not asked for
  | "Mounted" // the disk or one of its partitions is mounted
  | "TooSmall" // the disk cannot hold the layout
  | "MissingArtifact" // vmlinuz, initramfs.zst or cmdline is not in the artifacts directory
  | "NotRoot" // partitioning and mounting need root
  | "ToolFailed"; // sfdisk, mkfs, mount, grub-install, losetup... failed

/** The installer's one error class; `code` says which kind of failure, `message` names the culprit. */
export class InstallerError extends Error {
  override readonly name = "InstallerError";
  readonly code: InstallerErrorCode;

  constructor(code: InstallerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
