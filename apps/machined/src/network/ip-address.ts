/** IPv4/IPv6 address and CIDR parsing into the bytes netlink and DHCP carry. */

export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array;
}

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

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] ?? "";
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  if (text.includes("%")) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    const items = s.split(":");
    for (let i = 0; i < items.length; i++) {
      const item = items[i] ?? "";
      if (i === items.length - 1 && item.includes(".")) {
        const v4 = parseIpv4(item);
        if (v4 === undefined) return undefined;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(item)) return undefined;
      out.push(Number.parseInt(item, 16));
    }
    return out;
  };
  const head = groups(halves[0] ?? "");
  const tail = halves.length === 2 ? groups(halves[1] ?? "") : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** Parses `10.0.0.5` or `fd00::5`. */
export function parseIp(text: string): IpAddress {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, bytes: v4 };
  const v6 = parseIpv6(text);
  if (v6 !== undefined) return { family: 6, bytes: v6 };
  throw new IpAddressError(text, "not an IPv4 or IPv6 address");
}

/** Parses `10.0.0.5/24` or `fd00::5/64`. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf("/");
  if (slash < 0) throw new IpAddressError(text, "missing /prefix-length");
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  const max = ip.family === 4 ? 32 : 128;
  if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > max) {
    throw new IpAddressError(text, `prefix length must be 0-${max}`);
  }
  return { ...ip, prefixLength: Number(prefixText) };
}

/** Formats 4 or 16 bytes as text (IPv6 in RFC 5952 form: lower case, longest zero run compressed). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  if (bytes.length !== 16) throw new IpAddressError(`<${bytes.length} bytes>`, "not 4 or 16 bytes");
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((bytes[i * 2] ?? 0) << 8) | (bytes[i * 2 + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
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
  return `${formatIp(cidr.bytes)}/${cidr.prefixLength}`;
}
