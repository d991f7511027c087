/**
 * CIDRs (`10.0.0.5/24`, `fd00::5/64`) and netmasks, as netlink and DHCP carry them. The addresses
 * themselves are parsed and printed (RFC 5952) by @bronze/pki's `parseIpAddress`/`formatIpAddress`,
 * the one implementation; `parseIp` is the same parse, throwing a typed error.
 */
import { formatIpAddress, type IpAddress, parseIpAddress } from "@bronze/pki";

export interface Cidr extends IpAddress {
  readonly prefixLength: number;
}

/** Bad address text; `code` is always "invalid_address". */
export class IpAddressError extends Error {
  override readonly name = "IpAddressError";
  readonly code = "invalid_address";
  readonly input: string;
  constructor(input: string, reason: string) {
    super(`invalid IP address ${JSON.stringify(input)}: ${reason}`);
    this.input = input;
  }
}

/** Parses `10.0.0.5` or `fd00::5`, or throws IpAddressError. */
export function parseIp(text: string): IpAddress {
  const ip = parseIpAddress(text);
  if (ip === undefined) throw new IpAddressError(text, "not an IPv4 or IPv6 address");
  return ip;
}

/** Parses `10.0.0.5/24` or `fd00::5/64`. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf("/");
  if (slash < 0) throw new IpAddressError(text, "missing /prefix-length");
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  const max = ip.version === 4 ? 32 : 128;
  if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > max) {
    throw new IpAddressError(text, `prefix length must be 0-${max}`);
  }
  return { ...ip, prefixLength: Number(prefixText) };
}

/** The prefix length of a contiguous IPv4 netmask (255.255.255.0 => 24); undefined if not contiguous. */
export function netmaskToPrefix(mask: Uint8Array): number | undefined {
  let bits = 0;
  let ended = false;
  for (const byte of mask) {
    for (let b = 7; b >= 0; b--) {
      const set = (byte >> b) & 1;
      if (set && ended) return undefined;
      if (set) bits++;
      else ended = true;
    }
  }
  return bits;
}

/** `10.0.0.5/24` */
export function formatCidr(cidr: Cidr): string {
  return `${formatIpAddress(cidr.bytes)}/${cidr.prefixLength}`;
}
