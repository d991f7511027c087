// IPv4 and IPv6 addresses in text: parsed to the 4 or 16 bytes an iPAddress SAN holds, and printed back in
// canonical form. Pure code rather than node:net + URL, which cost ~3 ms to load in a fresh process and are
// otherwise unused on the `osctl gen config` path.

export interface IpAddress {
  version: 4 | 6;
  bytes: Uint8Array;
}

const IPV4_PART = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Dotted quad, each part 0-255 without leading zeros (as node:net's isIPv4). */
function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((part) => IPV4_PART.test(part))) return undefined;
  return Uint8Array.from(parts, Number);
}

function parseGroups(text: string): number[] | undefined {
  if (text === "") return [];
  const groups = text.split(":");
  return groups.every((group) => IPV6_GROUP.test(group))
    ? groups.map((group) => Number.parseInt(group, 16))
    : undefined;
}

/** RFC 4291 §2.2 text forms: 8 groups, one `::` for one or more zero groups, an optional dotted IPv4 tail. */
function parseIpv6(text: string): Uint8Array | undefined {
  let head = text;
  let tail: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(":");
  if (lastColon >= 0 && text.includes(".", lastColon)) {
    tail = parseIpv4(text.slice(lastColon + 1));
    if (!tail) return undefined;
    head = text.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::", "1:2:3:4:5:6:1.2.3.4" leaves "1:...:6:" whose last ":" only separated the tail
    if (!head.endsWith("::")) head = head.slice(0, -1);
  }
  const width = tail ? 6 : 8;
  const halves = head.split("::");
  let groups: number[];
  if (halves.length === 1) {
    const all = parseGroups(head);
    if (!all || all.length !== width || head === "") return undefined;
    groups = all;
  } else if (halves.length === 2) {
    const left = parseGroups(halves[0] as string);
    const right = parseGroups(halves[1] as string);
    if (!left || !right || left.length + right.length > width - 1) return undefined;
    groups = [...left, ...new Array<number>(width - left.length - right.length).fill(0), ...right];
  } else return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  if (tail) bytes.set(tail, 12);
  return bytes;
}

/** The address, or undefined when `text` is not exactly an IPv4 or IPv6 address (no brackets, no zone). */
export function parseIpAddress(text: string): IpAddress | undefined {
  if (typeof text !== "string") return undefined;
  const v4 = parseIpv4(text);
  if (v4) return { version: 4, bytes: v4 };
  const v6 = text.includes(":") ? parseIpv6(text) : undefined;
  return v6 ? { version: 6, bytes: v6 } : undefined;
}

/**
 * Canonical text: IPv4 dotted; IPv6 in lowercase hex without leading zeros, the first longest run of two or more
 * zero groups as `::` (RFC 5952, and exactly what WHATWG URL prints, which this replaced).
 */
export function formatIpAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  if (bytes.length !== 16) throw new RangeError(`an IP address is 4 or 16 bytes, not ${bytes.length}`);
  const groups = Array.from(
    { length: 8 },
    (_, i) => ((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number),
  );
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > bestLength) {
      bestStart = i;
      bestLength = end - i;
    }
    i = end;
  }
  const hex = (part: number[]) => part.map((group) => group.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}
