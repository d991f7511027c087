// A TCP peer's address as Bronze's servers count and name it.
import { isIPv4, isIPv6 } from "node:net";

/** `::ffff:10.0.0.2` (IPv4 on a dual-stack socket) is 10.0.0.2; anything else is returned as it is. */
export function normalizePeerAddress(address: string): string {
  const mapped = /^::ffff:(.+)$/i.exec(address)?.[1];
  return mapped !== undefined && isIPv4(mapped) ? mapped : address;
}

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail becomes the last two). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, "");
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (v4 !== undefined) {
    const [a = 0, b = 0, c = 0, d = 0] = v4.split(".").map(Number);
    text = `${text.slice(0, -v4.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16)));
  const first = parse(head);
  const last = tail === undefined ? [] : parse(tail);
  return [...first, ...new Array<number>(8 - first.length - last.length).fill(0), ...last];
}

/**
 * What connection limits count per source: the IPv4 address, or the /64 of an IPv6 address (one host
 * is usually given a whole /64, so counting single IPv6 addresses would not limit anyone).
 */
export function addressBucket(address: string): string {
  const normalized = normalizePeerAddress(address);
  if (!isIPv6(normalized)) return normalized;
  const groups = ipv6Groups(normalized).slice(0, 4);
  return `${groups.map((g) => g.toString(16)).join(":")}::/64`;
}
