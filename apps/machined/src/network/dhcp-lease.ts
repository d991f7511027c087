/** A DHCPv4 lease: built from an ACK, and applied to a link through rtnetlink. */

import { netmaskToPrefix, parseIp } from "./cidr.ts";
import type { DhcpMessage } from "./dhcp-message.ts";
import { NetlinkError } from "./netlink-error.ts";
import { RTPROT_DHCP } from "./netlink-message.ts";
import type { RtNetlink } from "./rtnetlink.ts";

export interface DhcpLease {
  readonly interfaceName: string;
  readonly address: string;
  readonly prefixLength: number;
  /** `10.0.0.50/24` */
  readonly cidr: string;
  readonly subnetMask: string;
  readonly router?: string;
  readonly dnsServers: readonly string[];
  readonly hostname?: string;
  readonly domainName?: string;
  readonly mtu?: number;
  readonly serverId: string;
  /** Seconds. */
  readonly leaseTime: number;
  /** T1, seconds (default half the lease). */
  readonly renewalTime: number;
  /** T2, seconds (default 7/8 of the lease). */
  readonly rebindingTime: number;
  /** Monotonic ms when the ACK arrived; T1/T2/expiry count from here. */
  readonly acquiredAt: number;
}

/** bad_lease: an ACK that cannot make a lease; stopped: stop() came before a lease. */
export type DhcpErrorCode = "bad_lease" | "stopped";

/** Failures of the DHCP client, naming the interface. */
export class DhcpError extends Error {
  override readonly name = "DhcpError";
  readonly code: DhcpErrorCode;
  readonly interfaceName: string;
  constructor(interfaceName: string, code: DhcpErrorCode, message: string) {
    super(`DHCP on ${interfaceName}: ${message}`);
    this.code = code;
    this.interfaceName = interfaceName;
  }
}

/** Route metric for the DHCP default route (systemd-networkd and Talos use 1024). */
export const DHCP_ROUTE_METRIC = 1024;
/** Used when the server gives no lease time (RFC 2131 says infinite; we renew hourly anyway). */
const DEFAULT_LEASE_SECONDS = 3600;

function classfulMask(address: string): string {
  const first = parseIp(address).bytes[0] ?? 0;
  if (first < 128) return "255.0.0.0";
  if (first < 192) return "255.255.0.0";
  return "255.255.255.0";
}

/** Builds the lease from an ACK; throws DhcpError("bad_lease") if it lacks what a lease needs. */
export function leaseFromAck(interfaceName: string, ack: DhcpMessage, acquiredAt: number): DhcpLease {
  const address = ack.yiaddr;
  if (address === undefined || address === "0.0.0.0") {
    throw new DhcpError(interfaceName, "bad_lease", "the ACK carries no address (yiaddr 0.0.0.0)");
  }
  const o = ack.options;
  const serverId = o.serverId ?? ack.siaddr;
  if (serverId === undefined || serverId === "0.0.0.0") {
    throw new DhcpError(interfaceName, "bad_lease", "the ACK carries no server identifier (option 54)");
  }
  const subnetMask = o.subnetMask ?? classfulMask(address);
  const prefixLength = netmaskToPrefix(parseIp(subnetMask).bytes);
  if (prefixLength === undefined) {
    throw new DhcpError(interfaceName, "bad_lease", `subnet mask ${subnetMask} (option 1) is not contiguous`);
  }
  const leaseTime =
    o.leaseTime === undefined || o.leaseTime === 0xffffffff ? DEFAULT_LEASE_SECONDS : o.leaseTime;
  const renewalTime =
    o.renewalTime !== undefined && o.renewalTime < leaseTime ? o.renewalTime : Math.floor(leaseTime / 2);
  const rebindingTime =
    o.rebindingTime !== undefined && o.rebindingTime < leaseTime && o.rebindingTime >= renewalTime
      ? o.rebindingTime
      : Math.max(renewalTime, Math.floor((leaseTime * 7) / 8));
  const router = o.routers?.[0];
  return {
    interfaceName,
    address,
    prefixLength,
    cidr: `${address}/${prefixLength}`,
    subnetMask,
    dnsServers: o.dnsServers ?? [],
    serverId,
    leaseTime,
    renewalTime,
    rebindingTime,
    acquiredAt,
    ...(router === undefined ? {} : { router }),
    ...(o.hostname === undefined ? {} : { hostname: o.hostname }),
    ...(o.domainName === undefined ? {} : { domainName: o.domainName }),
    ...(o.mtu === undefined ? {} : { mtu: o.mtu }),
  };
}

/** The rtnetlink calls a lease needs. */
export type LeaseTarget = Pick<RtNetlink, "addAddress" | "deleteAddress" | "addRoute" | "setMtu">;

/**
 * Applies a lease: MTU (option 26, if sane), the address with the prefix from the subnet mask (replacing a
 * previous lease's different address), and the default route via the router with metric 1024.
 */
export function applyLease(rtnl: LeaseTarget, lease: DhcpLease, previous?: DhcpLease): void {
  const dev = lease.interfaceName;
  if (lease.mtu !== undefined && lease.mtu >= 576) rtnl.setMtu(dev, lease.mtu);
  if (previous !== undefined && previous.cidr !== lease.cidr) removeLease(rtnl, previous);
  rtnl.addAddress(dev, lease.cidr, { replace: true });
  if (lease.router !== undefined) {
    rtnl.addRoute(
      { gateway: lease.router, dev, metric: DHCP_ROUTE_METRIC, protocol: RTPROT_DHCP },
      { replace: true },
    );
  }
}

/** Removes a lease's address (its routes go with it); an address already gone is fine. */
export function removeLease(rtnl: LeaseTarget, lease: DhcpLease): void {
  try {
    rtnl.deleteAddress(lease.interfaceName, lease.cidr);
  } catch (err) {
    if (!(err instanceof NetlinkError && err.code === "EADDRNOTAVAIL")) throw err;
  }
}
