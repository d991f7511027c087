/**
 * Kernel ABI constants used by the system-call layer (Linux, from <sys/mount.h>, <linux/reboot.h>,
 * <linux/loop.h>, <sys/wait.h>, <linux/prctl.h>, <linux/module.h>).
 */

// mount(2) flags.
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_SYNCHRONOUS = 0x10;
export const MS_REMOUNT = 0x20;
export const MS_MANDLOCK = 0x40;
export const MS_DIRSYNC = 0x80;
export const MS_NOSYMFOLLOW = 0x100;
export const MS_NOATIME = 0x400;
export const MS_NODIRATIME = 0x800;
export const MS_BIND = 0x1000;
export const MS_MOVE = 0x2000;
export const MS_REC = 0x4000;
export const MS_SILENT = 0x8000;
export const MS_UNBINDABLE = 0x20000;
export const MS_PRIVATE = 0x40000;
export const MS_SLAVE = 0x80000;
export const MS_SHARED = 0x100000;
export const MS_RELATIME = 0x200000;
export const MS_STRICTATIME = 0x1000000;
export const MS_LAZYTIME = 0x2000000;

/** Names of the mount flags, for error messages and call descriptions. */
export const MOUNT_FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [MS_RDONLY, "MS_RDONLY"],
  [MS_NOSUID, "MS_NOSUID"],
  [MS_NODEV, "MS_NODEV"],
  [MS_NOEXEC, "MS_NOEXEC"],
  [MS_SYNCHRONOUS, "MS_SYNCHRONOUS"],
  [MS_REMOUNT, "MS_REMOUNT"],
  [MS_MANDLOCK, "MS_MANDLOCK"],
  [MS_DIRSYNC, "MS_DIRSYNC"],
  [MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW"],
  [MS_NOATIME, "MS_NOATIME"],
  [MS_NODIRATIME, "MS_NODIRATIME"],
  [MS_BIND, "MS_BIND"],
  [MS_MOVE, "MS_MOVE"],
  [MS_REC, "MS_REC"],
  [MS_SILENT, "MS_SILENT"],
  [MS_UNBINDABLE, "MS_UNBINDABLE"],
  [MS_PRIVATE, "MS_PRIVATE"],
  [MS_SLAVE, "MS_SLAVE"],
  [MS_SHARED, "MS_SHARED"],
  [MS_RELATIME, "MS_RELATIME"],
  [MS_STRICTATIME, "MS_STRICTATIME"],
  [MS_LAZYTIME, "MS_LAZYTIME"],
];

// umount2(2) flags.
export const MNT_FORCE = 0x1;
export const MNT_DETACH = 0x2;
export const MNT_EXPIRE = 0x4;
export const UMOUNT_NOFOLLOW = 0x8;

export const UMOUNT_FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [MNT_FORCE, "MNT_FORCE"],
  [MNT_DETACH, "MNT_DETACH"],
  [MNT_EXPIRE, "MNT_EXPIRE"],
  [UMOUNT_NOFOLLOW, "UMOUNT_NOFOLLOW"],
];

// reboot(2) commands (glibc's reboot(int) passes them as the `cmd` argument).
export const LINUX_REBOOT_CMD_RESTART = 0x01234567;
export const LINUX_REBOOT_CMD_HALT = 0xcdef0123;
export const LINUX_REBOOT_CMD_POWER_OFF = 0x4321fedc;
export const LINUX_REBOOT_CMD_CAD_ON = 0x89abcdef;
export const LINUX_REBOOT_CMD_CAD_OFF = 0x00000000;

// Loop devices (<linux/loop.h>).
export const LOOP_SET_FD = 0x4c00;
export const LOOP_CLR_FD = 0x4c01;
export const LOOP_SET_STATUS64 = 0x4c04;
export const LOOP_GET_STATUS64 = 0x4c05;
export const LOOP_CONFIGURE = 0x4c0a;
export const LOOP_CTL_GET_FREE = 0x4c82;
export const LO_FLAGS_READ_ONLY = 1;
export const LO_FLAGS_AUTOCLEAR = 4;
export const LO_FLAGS_PARTSCAN = 8;
export const LO_FLAGS_DIRECT_IO = 16;
export const LO_NAME_SIZE = 64;
/** sizeof(struct loop_info64) */
export const LOOP_INFO64_SIZE = 232;
/** offsetof(struct loop_info64, lo_flags) */
export const LOOP_INFO64_FLAGS_OFFSET = 52;
/** offsetof(struct loop_info64, lo_file_name) */
export const LOOP_INFO64_FILE_NAME_OFFSET = 56;
/** sizeof(struct loop_config): fd, block_size, loop_info64, __reserved[8] */
export const LOOP_CONFIG_SIZE = 8 + LOOP_INFO64_SIZE + 64;

// waitpid(2).
export const WNOHANG = 1;

// prctl(2).
export const PR_SET_CHILD_SUBREAPER = 36;
export const PR_GET_CHILD_SUBREAPER = 37;

// finit_module(2) flags.
export const MODULE_INIT_IGNORE_MODVERSIONS = 1;
export const MODULE_INIT_IGNORE_VERMAGIC = 2;
export const MODULE_INIT_COMPRESSED_FILE = 4;

/** System-call numbers that glibc has no wrapper for, per architecture. */
export interface SyscallNumbers {
  readonly finit_module: number;
  readonly pivot_root: number;
}

export const SYSCALL_NUMBERS: Readonly<Record<string, SyscallNumbers>> = {
  x64: { finit_module: 313, pivot_root: 155 },
  arm64: { finit_module: 273, pivot_root: 41 },
};
