/**
 * Pure encoding and decoding of DHCPv4 packets (RFC 2131 / RFC 2132): the BOOTP header, the magic cookie
 * and the options Bronze uses.
 */
import { formatIpAddress } from "@bronze/pki";
import { parseIp } from "./cidr.ts";

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
export const DHCP_MAGIC_COOKIE = 0x63825363;
export const BROADCAST_FLAG = 0x8000;
/** Fixed BOOTP header length (op..file), before the magic cookie. */
export const BOOTP_HEADER_LEN = 236;
/** The smallest packet old relays accept. */
export const BOOTP_MIN_LEN = 300;

export const DHCP_MESSAGE_TYPES = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;
export type DhcpMessageType = keyof typeof DHCP_MESSAGE_TYPES;

export const OPT_PAD = 0;
export const OPT_SUBNET_MASK = 1;
export const OPT_ROUTER = 3;
export const OPT_DNS = 6;
export const OPT_HOSTNAME = 12;
export const OPT_DOMAIN_NAME = 15;
export const OPT_MTU = 26;
export const OPT_REQUESTED_IP = 50;
export const OPT_LEASE_TIME = 51;
export const OPT_MESSAGE_TYPE = 53;
export const OPT_SERVER_ID = 54;
export const OPT_PARAMETER_LIST = 55;
export const OPT_MAX_MESSAGE_SIZE = 57;
export const OPT_RENEWAL_TIME = 58;
export const OPT_REBINDING_TIME = 59;
export const OPT_CLIENT_ID = 61;
export const OPT_END = 255;

export interface DhcpOptions {
  readonly messageType?: DhcpMessageType;
  readonly subnetMask?: string;
  readonly routers?: readonly string[];
  readonly dnsServers?: readonly string[];
  readonly hostname?: string;
  readonly domainName?: string;
  readonly mtu?: number;
  readonly requestedIp?: string;
  /** Seconds. */
  readonly leaseTime?: number;
  readonly serverId?: string;
  readonly parameterRequestList?: readonly number[];
  readonly maxMessageSize?: number;
  /** T1, seconds. */
  readonly renewalTime?: number;
  /** T2, seconds. */
  readonly rebindingTime?: number;
  readonly clientId?: Uint8Array;
}

export interface DhcpMessage {
  readonly op: typeof BOOTREQUEST | typeof BOOTREPLY;
  readonly xid: number;
  readonly secs?: number;
  readonly flags?: number;
  readonly ciaddr?: string;
  readonly yiaddr?: string;
  readonly siaddr?: string;
  readonly giaddr?: string;
  /** Client hardware (MAC) address, `52:54:00:12:34:56`. */
  readonly chaddr: string;
  readonly options: DhcpOptions;
}

/** A packet that does not parse; `code` is always "malformed". */
export class DhcpDecodeError extends Error {
  override readonly name = "DhcpDecodeError";
  readonly code = "malformed";
}

export function parseMac(mac: string): Uint8Array {
  const parts = mac.split(":");
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new DhcpDecodeError(`invalid MAC address ${JSON.stringify(mac)}`);
  }
  return new Uint8Array(parts.map((p) => Number.parseInt(p, 16)));
}

function v4(text: string | undefined, what: string): Uint8Array {
  if (text === undefined) return new Uint8Array(4);
  const ip = parseIp(text);
  if (ip.version !== 4) throw new DhcpDecodeError(`${what} ${text} is not an IPv4 address`);
  return ip.bytes;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0);
  return b;
}

function u16(n: number): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, n);
  return b;
}

function encodeOptions(o: DhcpOptions): Uint8Array {
  const list: Array<[number, Uint8Array]> = [];
  const add = (code: number, data: Uint8Array | undefined) => {
    if (data !== undefined) list.push([code, data]);
  };
  const ips = (xs: readonly string[] | undefined, what: string) =>
    xs === undefined ? undefined : new Uint8Array(xs.flatMap((x) => Array.from(v4(x, what))));
  const text = (s: string | undefined) => (s === undefined ? undefined : new TextEncoder().encode(s));
  // Message type first, as RFC 2131 recommends.
  add(
    OPT_MESSAGE_TYPE,
    o.messageType === undefined ? undefined : new Uint8Array([DHCP_MESSAGE_TYPES[o.messageType]]),
  );
  add(OPT_CLIENT_ID, o.clientId);
  add(OPT_REQUESTED_IP, o.requestedIp === undefined ? undefined : v4(o.requestedIp, "requested IP"));
  add(OPT_SERVER_ID, o.serverId === undefined ? undefined : v4(o.serverId, "server identifier"));
  add(OPT_MAX_MESSAGE_SIZE, o.maxMessageSize === undefined ? undefined : u16(o.maxMessageSize));
  add(
    OPT_PARAMETER_LIST,
    o.parameterRequestList === undefined ? undefined : new Uint8Array(o.parameterRequestList),
  );
  add(OPT_HOSTNAME, text(o.hostname));
  add(OPT_SUBNET_MASK, o.subnetMask === undefined ? undefined : v4(o.subnetMask, "subnet mask"));
  add(OPT_ROUTER, ips(o.routers, "router"));
  add(OPT_DNS, ips(o.dnsServers, "DNS server"));
  add(OPT_DOMAIN_NAME, text(o.domainName));
  add(OPT_MTU, o.mtu === undefined ? undefined : u16(o.mtu));
  add(OPT_LEASE_TIME, o.leaseTime === undefined ? undefined : u32(o.leaseTime));
  add(OPT_RENEWAL_TIME, o.renewalTime === undefined ? undefined : u32(o.renewalTime));
  add(OPT_REBINDING_TIME, o.rebindingTime === undefined ? undefined : u32(o.rebindingTime));
  const bytes: number[] = [];
  for (const [code, data] of list) {
    if (data.length > 255) throw new DhcpDecodeError(`option ${code} is longer than 255 bytes`);
    bytes.push(code, data.length, ...data);
  }
  bytes.push(OPT_END);
  return new Uint8Array(bytes);
}

/** Encodes a message; the result is at least 300 bytes (padded), as BOOTP relays expect. */
export function encodeDhcpMessage(msg: DhcpMessage): Uint8Array {
  const options = encodeOptions(msg.options);
  const out = new Uint8Array(Math.max(BOOTP_MIN_LEN, BOOTP_HEADER_LEN + 4 + options.length));
  const view = new DataView(out.buffer);
  const mac = parseMac(msg.chaddr);
  out[0] = msg.op;
  out[1] = 1; // htype: Ethernet
  out[2] = mac.length; // hlen
  out[3] = 0; // hops
  view.setUint32(4, msg.xid >>> 0);
  view.setUint16(8, msg.secs ?? 0);
  view.setUint16(10, msg.flags ?? 0);
  out.set(v4(msg.ciaddr, "ciaddr"), 12);
  out.set(v4(msg.yiaddr, "yiaddr"), 16);
  out.set(v4(msg.siaddr, "siaddr"), 20);
  out.set(v4(msg.giaddr, "giaddr"), 24);
  out.set(mac, 28);
  // sname (44..107) and file (108..235) stay zero.
  view.setUint32(BOOTP_HEADER_LEN, DHCP_MAGIC_COOKIE);
  out.set(options, BOOTP_HEADER_LEN + 4);
  return out;
}

function ipList(data: Uint8Array, code: number): string[] {
  if (data.length === 0 || data.length % 4 !== 0)
    throw new DhcpDecodeError(`option ${code}: length ${data.length} is not a multiple of 4`);
  const out: string[] = [];
  for (let i = 0; i < data.length; i += 4) out.push(formatIpAddress(data.subarray(i, i + 4)));
  return out;
}

function oneIp(data: Uint8Array, code: number): string {
  if (data.length !== 4) throw new DhcpDecodeError(`option ${code}: expected 4 bytes, got ${data.length}`);
  return formatIpAddress(data);
}

function readU32(data: Uint8Array, code: number): number {
  if (data.length !== 4) throw new DhcpDecodeError(`option ${code}: expected 4 bytes, got ${data.length}`);
  return new DataView(data.buffer, data.byteOffset, 4).getUint32(0);
}

function readU16(data: Uint8Array, code: number): number {
  if (data.length !== 2) throw new DhcpDecodeError(`option ${code}: expected 2 bytes, got ${data.length}`);
  return new DataView(data.buffer, data.byteOffset, 2).getUint16(0);
}

function decodeOptions(bytes: Uint8Array): DhcpOptions {
  // Options may be split into several instances of the same code (RFC 3396): concatenate them.
  const raw = new Map<number, number[]>();
  let i = 0;
  while (i < bytes.length) {
    const code = bytes[i] ?? OPT_END;
    if (code === OPT_END) break;
    if (code === OPT_PAD) {
      i++;
      continue;
    }
    const len = bytes[i + 1];
    if (len === undefined || i + 2 + len > bytes.length)
      throw new DhcpDecodeError(`option ${code} runs past the end`);
    const prev = raw.get(code) ?? [];
    prev.push(...bytes.subarray(i + 2, i + 2 + len));
    raw.set(code, prev);
    i += 2 + len;
  }
  const get = (code: number) => {
    const v = raw.get(code);
    return v === undefined ? undefined : new Uint8Array(v);
  };
  const out: Record<string, unknown> = {};
  const typeByte = get(OPT_MESSAGE_TYPE);
  if (typeByte !== undefined) {
    const name = (Object.keys(DHCP_MESSAGE_TYPES) as DhcpMessageType[]).find(
      (k) => DHCP_MESSAGE_TYPES[k] === typeByte[0],
    );
    if (name === undefined || typeByte.length !== 1)
      throw new DhcpDecodeError(`unknown DHCP message type ${typeByte[0]}`);
    out.messageType = name;
  }
  const text = (d: Uint8Array) => new TextDecoder().decode(d).replace(/\0+$/, "");
  const d = (code: number, decode: (data: Uint8Array, code: number) => unknown, key: string) => {
    const data = get(code);
    if (data !== undefined) out[key] = decode(data, code);
  };
  d(OPT_SUBNET_MASK, oneIp, "subnetMask");
  d(OPT_ROUTER, ipList, "routers");
  d(OPT_DNS, ipList, "dnsServers");
  d(OPT_HOSTNAME, text, "hostname");
  d(OPT_DOMAIN_NAME, text, "domainName");
  d(OPT_MTU, readU16, "mtu");
  d(OPT_REQUESTED_IP, oneIp, "requestedIp");
  d(OPT_LEASE_TIME, readU32, "leaseTime");
  d(OPT_SERVER_ID, oneIp, "serverId");
  d(OPT_PARAMETER_LIST, (x) => Array.from(x), "parameterRequestList");
  d(OPT_MAX_MESSAGE_SIZE, readU16, "maxMessageSize");
  d(OPT_RENEWAL_TIME, readU32, "renewalTime");
  d(OPT_REBINDING_TIME, readU32, "rebindingTime");
  d(OPT_CLIENT_ID, (x) => x, "clientId");
  return out as DhcpOptions;
}

/** Decodes a packet; throws DhcpDecodeError when it is short, lacks the cookie, or has bad options. */
export function decodeDhcpMessage(bytes: Uint8Array): DhcpMessage {
  if (bytes.length < BOOTP_HEADER_LEN + 4)
    throw new DhcpDecodeError(`packet of ${bytes.length} bytes is too short`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const op = bytes[0];
  if (op !== BOOTREQUEST && op !== BOOTREPLY) throw new DhcpDecodeError(`bad op ${op}`);
  if (view.getUint32(BOOTP_HEADER_LEN) !== DHCP_MAGIC_COOKIE)
    throw new DhcpDecodeError("no DHCP magic cookie");
  const hlen = Math.min(bytes[2] ?? 6, 16);
  const chaddr = Array.from(bytes.subarray(28, 28 + hlen), (b) => b.toString(16).padStart(2, "0")).join(":");
  return {
    op,
    xid: view.getUint32(4),
    secs: view.getUint16(8),
    flags: view.getUint16(10),
    ciaddr: formatIpAddress(bytes.subarray(12, 16)),
    yiaddr: formatIpAddress(bytes.subarray(16, 20)),
    siaddr: formatIpAddress(bytes.subarray(20, 24)),
    giaddr: formatIpAddress(bytes.subarray(24, 28)),
    chaddr,
    options: decodeOptions(bytes.subarray(BOOTP_HEADER_LEN + 4)),
  };
}
