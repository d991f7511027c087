import { formatIp, type IpAddress, parseIp } from "./ip.ts";

/** A parsed CIDR: an address and a prefix length. */
export interface Cidr extends IpAddress {
  prefix: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const prefixText = text.slice(slash + 1);
  if (!/^(?:0|[1-9][0-9]{0,2})$/.test(prefixText)) return undefined;
  const ip = parseIp(text.slice(0, slash));
  if (!ip) return undefined;
  const prefix = Number(prefixText);
  if (prefix > ip.bytes.length * 8) return undefined;
  return { ...ip, prefix };
}

function describeCidrError(text: string): string {
  const slash = text.indexOf("/");
  if (slash < 0) return `"${text}" has no prefix length (expected CIDR notation such as 10.0.0.5/24)`;
  const ip = parseIp(text.slice(0, slash));
  if (!ip) return `"${text}": "${text.slice(0, slash)}" is not a valid IPv4 or IPv6 address`;
  const max = ip.bytes.length * 8;
  return `"${text}": prefix length must be an integer from 0 to ${max} for IPv${ip.family}`;
}

/** An address with its prefix length (host bits allowed), e.g. an interface address `10.0.0.5/24`. */
export function validateCidrAddress(text: string): string | undefined {
  return parseCidr(text) ? undefined : describeCidrError(text);
}

/** Returns the network address of a CIDR (host bits cleared). */
export function networkOf(cidr: Cidr): Cidr {
  const bytes = new Uint8Array(cidr.bytes);
  for (let bit = cidr.prefix; bit < bytes.length * 8; bit++) {
    const i = bit >> 3;
    bytes[i] = (bytes[i] as number) & ~(0x80 >> (bit & 7));
  }
  return { family: cidr.family, bytes, prefix: cidr.prefix };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr)}/${cidr.prefix}`;
}

/** A network in CIDR notation whose host bits are zero, e.g. a pod subnet `10.244.0.0/16`. */
export function validateCidrNetwork(text: string): string | undefined {
  const cidr = parseCidr(text);
  if (!cidr) return describeCidrError(text);
  const network = networkOf(cidr);
  if (!network.bytes.every((b, i) => b === cidr.bytes[i])) {
    return `"${text}" has host bits set; did you mean ${formatCidr(network)}?`;
  }
  return undefined;
}

/** A subnet filter as kubelet's nodeIP.validSubnets accepts it: a CIDR network, optionally negated with `!`. */
export function validateSubnetFilter(text: string): string | undefined {
  return validateCidrNetwork(text.startsWith("!") ? text.slice(1) : text);
}

/** True when both networks share at least one address (same family and the shorter prefix matches). */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const prefix = Math.min(a.prefix, b.prefix);
  for (let bit = 0; bit < prefix; bit++) {
    const i = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if (((a.bytes[i] as number) & mask) !== ((b.bytes[i] as number) & mask)) return false;
  }
  return true;
}
