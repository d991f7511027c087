/**
 * A DHCPv4 client (RFC 2131): DISCOVER → OFFER → REQUEST → ACK with exponential backoff, then renewal at
 * T1 (unicast to the server) and rebinding at T2 (broadcast); an expired or refused lease is removed and
 * acquisition starts over. Time and the socket are injected.
 */
import type { Clock } from "../clock.ts";
import { DhcpError, type DhcpLease, leaseFromAck } from "./dhcp-lease.ts";
import {
  BOOTREPLY,
  BOOTREQUEST,
  BROADCAST_FLAG,
  type DhcpMessage,
  type DhcpMessageType,
  type DhcpOptions,
  decodeDhcpMessage,
  encodeDhcpMessage,
  OPT_DNS,
  OPT_DOMAIN_NAME,
  OPT_HOSTNAME,
  OPT_LEASE_TIME,
  OPT_MTU,
  OPT_REBINDING_TIME,
  OPT_RENEWAL_TIME,
  OPT_ROUTER,
  OPT_SUBNET_MASK,
  parseMac,
} from "./dhcp-message.ts";

export const BROADCAST_ADDRESS = "255.255.255.255";

/** What the client needs from a socket bound to port 68 on one interface. */
export interface DhcpTransport {
  /** Sends to `to`:67 (the limited broadcast address, or the server when renewing). */
  send(packet: Uint8Array, to: string): void;
  /** The next datagram within `timeoutMs`, or undefined on timeout or abort. */
  receive(timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array | undefined>;
  close(): void;
}

export interface DhcpRetry {
  /** First wait for an answer; doubles on each retry (RFC 2131: 4 s). */
  readonly initialMs?: number;
  /** Ceiling of the wait (RFC 2131: 64 s). */
  readonly maxMs?: number;
  /** Shortest wait between renewal attempts before T2/expiry (RFC 2131: 60 s). */
  readonly minRenewMs?: number;
}

export interface DhcpClientOptions {
  readonly interfaceName: string;
  readonly mac: string;
  readonly transport: DhcpTransport;
  readonly clock: Clock;
  /** Applies a new or renewed lease (the previous one given on renewal). Default: nothing. */
  readonly apply?: (lease: DhcpLease, previous: DhcpLease | undefined) => void | Promise<void>;
  /** Removes an expired or refused lease. Default: nothing. */
  readonly expire?: (lease: DhcpLease) => void | Promise<void>;
  /** Sent as option 12. */
  readonly hostname?: string;
  /** Transaction ids; default random. */
  readonly xid?: () => number;
  readonly retry?: DhcpRetry;
  readonly log?: (message: string) => void;
}

/** The options Bronze asks for (option 55). */
export const REQUESTED_OPTIONS = [
  OPT_SUBNET_MASK,
  OPT_ROUTER,
  OPT_DNS,
  OPT_HOSTNAME,
  OPT_DOMAIN_NAME,
  OPT_MTU,
  OPT_LEASE_TIME,
  OPT_RENEWAL_TIME,
  OPT_REBINDING_TIME,
];

type Renewal = { kind: "renewed"; lease: DhcpLease } | { kind: "lost"; reason: string } | { kind: "stopped" };

export class DhcpClient {
  readonly interfaceName: string;
  readonly #o: DhcpClientOptions;
  readonly #mac: Uint8Array;
  readonly #abort = new AbortController();
  #lease: DhcpLease | undefined;
  #running: Promise<void> | undefined;
  #startedAt = 0;

  constructor(options: DhcpClientOptions) {
    this.#o = options;
    this.interfaceName = options.interfaceName;
    this.#mac = parseMac(options.mac);
  }

  /** The lease in force, if any. */
  get lease(): DhcpLease | undefined {
    return this.#lease;
  }

  #log(message: string): void {
    this.#o.log?.(`dhcp ${this.interfaceName}: ${message}`);
  }

  #xid(): number {
    return (this.#o.xid?.() ?? Math.floor(Math.random() * 0x100000000)) >>> 0;
  }

  #message(
    type: DhcpMessageType,
    xid: number,
    extra: Partial<DhcpMessage>,
    options: DhcpOptions,
  ): DhcpMessage {
    const secs = Math.min(0xffff, Math.floor((this.#o.clock.monotonic() - this.#startedAt) / 1000));
    return {
      op: BOOTREQUEST,
      xid,
      secs,
      chaddr: this.#o.mac,
      ...extra,
      options: {
        messageType: type,
        clientId: new Uint8Array([1, ...this.#mac]),
        maxMessageSize: 1500,
        parameterRequestList: REQUESTED_OPTIONS,
        ...(this.#o.hostname === undefined ? {} : { hostname: this.#o.hostname }),
        ...options,
      },
    };
  }

  /** Sends `msg` and waits up to `timeoutMs` for a reply to it that `accept` takes. */
  async #exchange(
    msg: DhcpMessage,
    to: string,
    timeoutMs: number,
    accept: (reply: DhcpMessage) => boolean,
  ): Promise<DhcpMessage | undefined> {
    const { clock, transport } = this.#o;
    transport.send(encodeDhcpMessage(msg), to);
    const deadline = clock.monotonic() + timeoutMs;
    for (;;) {
      const remaining = deadline - clock.monotonic();
      if (remaining <= 0 || this.#abort.signal.aborted) return undefined;
      const bytes = await transport.receive(remaining, this.#abort.signal);
      if (bytes === undefined) return undefined;
      let reply: DhcpMessage;
      try {
        reply = decodeDhcpMessage(bytes);
      } catch (err) {
        this.#log(`ignoring a malformed packet: ${(err as Error).message}`);
        continue;
      }
      if (reply.op !== BOOTREPLY || reply.xid !== msg.xid || reply.chaddr !== this.#o.mac) continue;
      if (accept(reply)) return reply;
    }
  }

  #stopped(): DhcpError {
    return new DhcpError(this.interfaceName, "stopped", "stopped");
  }

  /**
   * DISCOVER → OFFER → REQUEST → ACK, retried with backoff (4 s doubling to 64 s) until it succeeds or
   * `stop()` is called (then it throws DhcpError "stopped"). Does not apply the lease.
   */
  async acquire(): Promise<DhcpLease> {
    const initial = this.#o.retry?.initialMs ?? 4000;
    const max = this.#o.retry?.maxMs ?? 64000;
    this.#startedAt = this.#o.clock.monotonic();
    for (let attempt = 0; ; attempt++) {
      if (this.#abort.signal.aborted) throw this.#stopped();
      const wait = Math.min(max, initial * 2 ** Math.min(attempt, 20));
      const xid = this.#xid();
      const offer = await this.#exchange(
        this.#message("DISCOVER", xid, { flags: BROADCAST_FLAG }, {}),
        BROADCAST_ADDRESS,
        wait,
        (r) => r.options.messageType === "OFFER" && r.yiaddr !== undefined && r.yiaddr !== "0.0.0.0",
      );
      if (offer === undefined) {
        if (this.#abort.signal.aborted) throw this.#stopped();
        this.#log(`no offer within ${wait} ms (attempt ${attempt + 1}), retrying`);
        continue;
      }
      const serverId = offer.options.serverId ?? offer.siaddr ?? "0.0.0.0";
      this.#log(`offer of ${offer.yiaddr} from ${serverId}`);
      const reply = await this.#exchange(
        this.#message("REQUEST", xid, { flags: BROADCAST_FLAG }, { requestedIp: offer.yiaddr, serverId }),
        BROADCAST_ADDRESS,
        wait,
        (r) => r.options.messageType === "ACK" || r.options.messageType === "NAK",
      );
      if (reply === undefined) {
        if (this.#abort.signal.aborted) throw this.#stopped();
        this.#log(`no ACK within ${wait} ms, starting over`);
        continue;
      }
      if (reply.options.messageType === "NAK") {
        this.#log(`NAK from ${reply.options.serverId ?? "server"}, starting over`);
        continue;
      }
      try {
        const lease = leaseFromAck(this.interfaceName, reply, this.#o.clock.monotonic());
        this.#log(`lease ${lease.cidr} via ${lease.router ?? "no router"} for ${lease.leaseTime} s`);
        return lease;
      } catch (err) {
        this.#log(`${(err as Error).message}; starting over`);
      }
    }
  }

  /**
   * Acquires and applies a lease, then keeps it (renewal at T1, rebinding at T2, new acquisition when
   * lost) in the background until `stop()`. Resolves with the first lease; rejects if applying it fails or
   * the client is stopped before one is acquired.
   */
  start(): Promise<DhcpLease> {
    if (this.#running !== undefined) throw new Error(`DHCP client on ${this.interfaceName} already started`);
    let first: { resolve: (l: DhcpLease) => void; reject: (e: unknown) => void } | undefined;
    const firstLease = new Promise<DhcpLease>((resolve, reject) => {
      first = { resolve, reject };
    });
    this.#running = this.#run(
      (lease) => first?.resolve(lease),
      (err) => first?.reject(err),
    );
    return firstLease;
  }

  /** Stops acquisition and renewal (the address stays configured). Resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }

  async #run(onFirst: (lease: DhcpLease) => void, onFail: (err: unknown) => void): Promise<void> {
    let isFirst = true;
    try {
      for (;;) {
        let lease: DhcpLease;
        try {
          lease = await this.acquire();
        } catch (err) {
          if (isFirst) onFail(err);
          return;
        }
        try {
          await this.#o.apply?.(lease, undefined);
        } catch (err) {
          this.#log(`applying ${lease.cidr} failed: ${(err as Error).message}`);
          if (isFirst) {
            onFail(err);
            return;
          }
          continue;
        }
        this.#lease = lease;
        if (isFirst) onFirst(lease);
        isFirst = false;
        const outcome = await this.#maintain(lease);
        if (outcome === "stopped") return;
        const lost = this.#lease;
        this.#lease = undefined;
        if (lost !== undefined) {
          try {
            await this.#o.expire?.(lost);
          } catch (err) {
            this.#log(`removing ${lost.cidr} failed: ${(err as Error).message}`);
          }
        }
      }
    } finally {
      this.#o.transport.close();
    }
  }

  async #sleepUntil(at: number): Promise<boolean> {
    return this.#o.clock.sleep(Math.max(0, at - this.#o.clock.monotonic()), this.#abort.signal);
  }

  /** Renews at T1 and rebinds at T2 until the lease is lost ("lost") or the client stops ("stopped"). */
  async #maintain(initial: DhcpLease): Promise<"lost" | "stopped"> {
    let lease = initial;
    for (;;) {
      const t1 = lease.acquiredAt + lease.renewalTime * 1000;
      const t2 = lease.acquiredAt + lease.rebindingTime * 1000;
      const expiry = lease.acquiredAt + lease.leaseTime * 1000;
      if (!(await this.#sleepUntil(t1))) return "stopped";
      this.#log(`renewing ${lease.cidr}`);
      let result = await this.#renew(lease, t2, lease.serverId);
      if (result.kind === "lost" && result.reason === "timeout") {
        this.#log(`no answer from ${lease.serverId} by T2, rebinding`);
        result = await this.#renew(lease, expiry, BROADCAST_ADDRESS);
      }
      if (result.kind === "stopped") return "stopped";
      if (result.kind === "lost") {
        this.#log(`lease ${lease.cidr} lost (${result.reason}), starting over`);
        return "lost";
      }
      try {
        await this.#o.apply?.(result.lease, lease);
      } catch (err) {
        this.#log(`applying renewed ${result.lease.cidr} failed: ${(err as Error).message}`);
      }
      lease = result.lease;
      this.#lease = lease;
    }
  }

  /** REQUEST with ciaddr (RENEWING to the server, REBINDING to broadcast) until `deadline`. */
  async #renew(lease: DhcpLease, deadline: number, to: string): Promise<Renewal> {
    const minWait = this.#o.retry?.minRenewMs ?? 60000;
    const { clock } = this.#o;
    this.#startedAt = clock.monotonic();
    for (;;) {
      if (this.#abort.signal.aborted) return { kind: "stopped" };
      const remaining = deadline - clock.monotonic();
      if (remaining <= 0) return { kind: "lost", reason: "timeout" };
      const wait = Math.min(remaining, Math.max(remaining / 2, minWait));
      const reply = await this.#exchange(
        this.#message("REQUEST", this.#xid(), { ciaddr: lease.address }, {}),
        to,
        wait,
        (r) => r.options.messageType === "ACK" || r.options.messageType === "NAK",
      );
      if (this.#abort.signal.aborted) return { kind: "stopped" };
      if (reply === undefined) {
        // Wait out the rest of this attempt's window before trying again.
        continue;
      }
      if (reply.options.messageType === "NAK") return { kind: "lost", reason: "NAK" };
      try {
        return { kind: "renewed", lease: leaseFromAck(this.interfaceName, reply, clock.monotonic()) };
      } catch (err) {
        this.#log(`${(err as Error).message}; retrying`);
      }
    }
  }
}
