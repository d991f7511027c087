/**
 * The few socket calls networking needs, from glibc through bun:ffi: a NETLINK_ROUTE socket for
 * rtnetlink and (see dhcp-socket.ts) a UDP socket for DHCP. errno is read with __errno_location right
 * after a failing call.
 */
import { dlopen, read } from "bun:ffi";
import { formatCall, SysError } from "../sys/sys-error.ts";

export const AF_NETLINK = 16;
export const AF_INET = 2;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_NONBLOCK = 0x800;
export const SOCK_CLOEXEC = 0x80000;
export const NETLINK_ROUTE = 0;
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_BROADCAST = 6;
export const SO_RCVBUF = 8;
export const SO_RCVTIMEO = 20;
export const SO_BINDTODEVICE = 25;
export const MSG_DONTWAIT = 0x40;
export const MSG_TRUNC = 0x20;
export const EAGAIN = 11;
export const EINTR = 4;

function openLibc(path: string) {
  return dlopen(path, {
    __errno_location: { args: [], returns: "ptr" },
    strerror: { args: ["i32"], returns: "cstring" },
    socket: { args: ["i32", "i32", "i32"], returns: "i32" },
    bind: { args: ["i32", "ptr", "u32"], returns: "i32" },
    setsockopt: { args: ["i32", "i32", "i32", "ptr", "u32"], returns: "i32" },
    sendto: { args: ["i32", "ptr", "u64", "i32", "ptr", "u32"], returns: "i64" },
    recvfrom: { args: ["i32", "ptr", "u64", "i32", "ptr", "ptr"], returns: "i64" },
    close: { args: ["i32"], returns: "i32" },
  });
}

export type LibcNet = ReturnType<typeof openLibc>["symbols"];

let shared: LibcNet | undefined;

/** glibc's socket symbols, opened once. */
export function libcNet(path = "libc.so.6"): LibcNet {
  if (path !== "libc.so.6") return openLibc(path).symbols;
  shared ??= openLibc(path).symbols;
  return shared;
}

/** errno right now, as a number. */
export function currentErrno(libc: LibcNet): number {
  return read.i32(libc.__errno_location() as number, 0);
}

/** libc's description of an errno value ("File exists"). */
export function describeErrno(errno: number, libc: LibcNet = libcNet()): string {
  return String(libc.strerror(errno));
}

/** Builds the SysError for the call that just failed (call this right after it). */
export function lastError(libc: LibcNet, call: string): SysError {
  const errno = currentErrno(libc);
  return new SysError(call, errno, describeErrno(errno, libc));
}

/** A socket option whose value is a C int. */
export function setIntOption(
  libc: LibcNet,
  fd: number,
  level: number,
  name: number,
  value: number,
  label: string,
) {
  const buf = new Int32Array([value]);
  if (libc.setsockopt(fd, level, name, buf, 4) < 0) {
    throw lastError(libc, formatCall("setsockopt", [fd, { raw: label }, value]));
  }
}

/** What RtNetlink needs from a socket: send a request, receive one datagram (blocking), close. */
export interface NetlinkSocket {
  send(bytes: Uint8Array): void;
  receive(): Uint8Array;
  close(): void;
}

export interface NetlinkSocketOptions {
  readonly libcPath?: string;
  /** Receive timeout in ms, so a lost reply can never hang PID 1. Default 5000. */
  readonly receiveTimeoutMs?: number;
  /** Receive buffer size in bytes (one datagram). Default 64 KiB. */
  readonly bufferSize?: number;
}

/** socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE), bound with a kernel-assigned port id. */
export class RouteNetlinkSocket implements NetlinkSocket {
  readonly fd: number;
  readonly #libc: LibcNet;
  readonly #buffer: Uint8Array;
  #closed = false;

  constructor(options: NetlinkSocketOptions = {}) {
    const libc = libcNet(options.libcPath);
    this.#libc = libc;
    this.#buffer = new Uint8Array(options.bufferSize ?? 65536);
    const fd = libc.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) {
      throw lastError(
        libc,
        formatCall("socket", [{ raw: "AF_NETLINK" }, { raw: "SOCK_RAW|SOCK_CLOEXEC" }, 0]),
      );
    }
    this.fd = fd;
    try {
      const ms = options.receiveTimeoutMs ?? 5000;
      const tv = new BigInt64Array([BigInt(Math.floor(ms / 1000)), BigInt((ms % 1000) * 1000)]);
      if (libc.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16) < 0) {
        throw lastError(libc, formatCall("setsockopt", [fd, { raw: "SO_RCVTIMEO" }, ms]));
      }
      const addr = new Uint8Array(12);
      new DataView(addr.buffer).setUint16(0, AF_NETLINK, true);
      if (libc.bind(fd, addr, 12) < 0) throw lastError(libc, formatCall("bind", [fd, { raw: "AF_NETLINK" }]));
    } catch (err) {
      libc.close(fd);
      throw err;
    }
  }

  send(bytes: Uint8Array): void {
    const addr = new Uint8Array(12);
    new DataView(addr.buffer).setUint16(0, AF_NETLINK, true);
    for (;;) {
      const n = Number(this.#libc.sendto(this.fd, bytes, bytes.length, 0, addr, 12));
      if (n >= 0) return;
      const err = lastError(this.#libc, formatCall("sendto", [this.fd, bytes.length]));
      if (err.errno !== EINTR) throw err;
    }
  }

  receive(): Uint8Array {
    for (;;) {
      const n = Number(this.#libc.recvfrom(this.fd, this.#buffer, this.#buffer.length, 0, null, null));
      if (n >= 0) {
        if (n > this.#buffer.length)
          throw new SysError(formatCall("recvfrom", [this.fd]), 90, "message truncated");
        return this.#buffer.slice(0, n);
      }
      const err = lastError(this.#libc, formatCall("recvfrom", [this.fd, { raw: "NETLINK_ROUTE" }]));
      if (err.errno !== EINTR) throw err;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#libc.close(this.fd);
  }
}
