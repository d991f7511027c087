/**
 * The real DHCP transport: a UDP socket bound to 0.0.0.0:68 on one interface (SO_BINDTODEVICE) that may
 * broadcast (SO_BROADCAST), through bun:ffi. Non-blocking; `receive` polls (5 ms doubling to 200 ms) so
 * PID 1's event loop never blocks.
 */
import { type Clock, systemClock } from "../clock.ts";
import { formatCall } from "../sys/sys-error.ts";
import { parseIp } from "./cidr.ts";
import type { DhcpTransport } from "./dhcp-client.ts";
import {
  AF_INET,
  EAGAIN,
  EINTR,
  type LibcNet,
  lastError,
  libcNet,
  MSG_DONTWAIT,
  SO_BINDTODEVICE,
  SO_BROADCAST,
  SO_REUSEADDR,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOL_SOCKET,
  setIntOption,
} from "./netlink-socket.ts";

export const DHCP_CLIENT_PORT = 68;
export const DHCP_SERVER_PORT = 67;

export interface DhcpSocketOptions {
  readonly libcPath?: string;
  /** Local port; default 68. */
  readonly port?: number;
  /** Server port; default 67. */
  readonly serverPort?: number;
  /** How often `receive` looks for a datagram: first after this many ms (default 5), doubling to `maxPollMs`. */
  readonly pollMs?: number;
  /** Longest pause between two looks (default 200 ms), so a long wait costs few wake-ups. */
  readonly maxPollMs?: number;
  /** Used only for the poll waits; default the system clock. */
  readonly clock?: Clock;
}

function sockaddrIn(address: string, port: number): Uint8Array {
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  view.setUint16(0, AF_INET, true);
  view.setUint16(2, port, false);
  out.set(parseIp(address).bytes, 4);
  return out;
}

export class DhcpSocket implements DhcpTransport {
  readonly fd: number;
  readonly interfaceName: string;
  readonly #libc: LibcNet;
  readonly #serverPort: number;
  readonly #pollMs: number;
  readonly #maxPollMs: number;
  readonly #clock: Clock;
  readonly #buffer = new Uint8Array(4096);
  #closed = false;

  constructor(interfaceName: string, options: DhcpSocketOptions = {}) {
    const libc = libcNet(options.libcPath);
    this.#libc = libc;
    this.interfaceName = interfaceName;
    this.#serverPort = options.serverPort ?? DHCP_SERVER_PORT;
    this.#pollMs = options.pollMs ?? 5;
    this.#maxPollMs = options.maxPollMs ?? 200;
    this.#clock = options.clock ?? systemClock;
    const fd = libc.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw lastError(libc, formatCall("socket", [{ raw: "AF_INET" }, { raw: "SOCK_DGRAM" }, 0]));
    this.fd = fd;
    try {
      setIntOption(libc, fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
      setIntOption(libc, fd, SOL_SOCKET, SO_BROADCAST, 1, "SO_BROADCAST");
      const name = Buffer.from(`${interfaceName}\0`);
      if (libc.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, name.length) < 0) {
        throw lastError(libc, formatCall("setsockopt", [fd, { raw: "SO_BINDTODEVICE" }, interfaceName]));
      }
      const port = options.port ?? DHCP_CLIENT_PORT;
      if (libc.bind(fd, sockaddrIn("0.0.0.0", port), 16) < 0) {
        throw lastError(libc, formatCall("bind", [fd, `0.0.0.0:${port}`]));
      }
    } catch (err) {
      libc.close(fd);
      throw err;
    }
  }

  send(packet: Uint8Array, to: string): void {
    const addr = sockaddrIn(to, this.#serverPort);
    for (;;) {
      const n = Number(this.#libc.sendto(this.fd, packet, packet.length, 0, addr, 16));
      if (n >= 0) return;
      const err = lastError(
        this.#libc,
        formatCall("sendto", [this.interfaceName, `${to}:${this.#serverPort}`]),
      );
      if (err.errno !== EINTR) throw err;
    }
  }

  async receive(timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    const deadline = this.#clock.monotonic() + timeoutMs;
    let pause = this.#pollMs;
    for (;;) {
      if (this.#closed || signal?.aborted) return undefined;
      const n = Number(
        this.#libc.recvfrom(this.fd, this.#buffer, this.#buffer.length, MSG_DONTWAIT, null, null),
      );
      if (n >= 0) return this.#buffer.slice(0, n);
      const err = lastError(this.#libc, formatCall("recvfrom", [this.interfaceName]));
      if (err.errno !== EAGAIN && err.errno !== EINTR) throw err;
      const left = deadline - this.#clock.monotonic();
      if (left <= 0) return undefined;
      if (!(await this.#clock.sleep(Math.min(pause, left), signal))) return undefined;
      pause = Math.min(this.#maxPollMs, pause * 2);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#libc.close(this.fd);
  }
}
