import {
  LINUX_REBOOT_CMD_HALT,
  LINUX_REBOOT_CMD_POWER_OFF,
  LINUX_REBOOT_CMD_RESTART,
  LO_FLAGS_AUTOCLEAR,
  LO_FLAGS_READ_ONLY,
  LO_NAME_SIZE,
  LOOP_CONFIG_SIZE,
  LOOP_INFO64_FILE_NAME_OFFSET,
  LOOP_INFO64_FLAGS_OFFSET,
  LOOP_INFO64_SIZE,
} from "./constants.ts";
import type { LoopAttachOptions, RebootCommand, WaitResult } from "./sys.ts";
import { SysError } from "./sys-error.ts";

const EINVAL = 22;

/** A NUL-terminated copy of `value` for passing to C; rejects embedded NUL bytes. */
export function cString(value: string, call: string): Buffer {
  if (value.includes("\0")) throw new SysError(call, EINVAL, "argument contains a NUL byte");
  return Buffer.from(`${value}\0`, "utf8");
}

/** __NEW_UTS_LEN: the longest host or domain name the kernel keeps. */
export const UTS_NAME_MAX = 64;

/** The name buffer and length for sethostname(2)/setdomainname(2); longer than 64 bytes is EINVAL. */
export function utsName(name: string, call: string): { buf: Buffer; length: number } {
  const buf = cString(name, call);
  const length = buf.length - 1;
  if (length > UTS_NAME_MAX) {
    throw new SysError(
      call,
      EINVAL,
      `name is ${length} bytes long, the kernel keeps at most ${UTS_NAME_MAX}`,
    );
  }
  return { buf, length };
}

/** The reboot(2) command word for a command name (as a signed 32-bit int, as glibc's `int howto`). */
export function rebootCommandValue(cmd: RebootCommand): number {
  switch (cmd) {
    case "restart":
      return LINUX_REBOOT_CMD_RESTART | 0;
    case "poweroff":
      return LINUX_REBOOT_CMD_POWER_OFF | 0;
    case "halt":
      return LINUX_REBOOT_CMD_HALT | 0;
    default:
      throw new SysError(`reboot(${JSON.stringify(cmd)})`, EINVAL, "unknown reboot command");
  }
}

/** lo_flags for a loop attachment. */
export function loopFlags(options: LoopAttachOptions = {}): number {
  let flags = 0;
  if (options.readOnly ?? true) flags |= LO_FLAGS_READ_ONLY;
  if (options.autoclear ?? true) flags |= LO_FLAGS_AUTOCLEAR;
  return flags;
}

/** struct loop_info64 with lo_flags and lo_file_name set (the name is truncated to 63 bytes). */
export function encodeLoopInfo64(flags: number, fileName: string): Uint8Array {
  const buf = new Uint8Array(LOOP_INFO64_SIZE);
  const view = new DataView(buf.buffer);
  view.setUint32(LOOP_INFO64_FLAGS_OFFSET, flags >>> 0, true);
  const name = Buffer.from(fileName, "utf8").subarray(0, LO_NAME_SIZE - 1);
  buf.set(name, LOOP_INFO64_FILE_NAME_OFFSET);
  return buf;
}

/** struct loop_config { __u32 fd; __u32 block_size; struct loop_info64 info; __u64 __reserved[8]; } */
export function encodeLoopConfig(backingFd: number, flags: number, fileName: string): Uint8Array {
  const buf = new Uint8Array(LOOP_CONFIG_SIZE);
  const view = new DataView(buf.buffer);
  view.setUint32(0, backingFd >>> 0, true);
  view.setUint32(4, 0, true); // block_size: 0 = the backing file's default
  buf.set(encodeLoopInfo64(flags, fileName), 8);
  return buf;
}

/** Decodes a raw wait status word as waitpid(2) returns it. */
export function decodeWaitStatus(pid: number, status: number): WaitResult {
  if (pid === 0) return { pid, status: 0, exitCode: null, signal: null };
  const low = status & 0x7f;
  if (low === 0) return { pid, status, exitCode: (status >> 8) & 0xff, signal: null };
  if (low !== 0x7f) return { pid, status, exitCode: null, signal: low };
  return { pid, status, exitCode: null, signal: null }; // stopped/continued
}

/**
 * The /proc/sys path of a sysctl. Dotted names (`net.ipv4.ip_forward`) map dots to slashes; names
 * containing a slash are taken as paths already (`net/ipv4/conf/eth0.100/rp_filter`), as sysctl(8) does.
 */
export function sysctlPath(procRoot: string, name: string): string {
  const call = `sysctl(${JSON.stringify(name)})`;
  const rel = name.includes("/") ? name : name.replaceAll(".", "/");
  const parts = rel.split("/");
  if (name.length === 0 || name.includes("\0") || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new SysError(call, EINVAL, `invalid sysctl name ${JSON.stringify(name)}`);
  }
  return `${procRoot}/sys/${parts.join("/")}`;
}
