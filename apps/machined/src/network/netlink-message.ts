/**
 * Pure encoding and decoding of rtnetlink messages (<linux/netlink.h>, <linux/rtnetlink.h>,
 * <linux/if_link.h>, <linux/if_addr.h>): nlmsghdr, ifinfomsg, ifaddrmsg, rtmsg and rtattrs. Host byte
 * order is little-endian on every architecture Bronze supports (x64, arm64).
 */

// nlmsghdr types and flags.
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

// rtnetlink message types.
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;

export const RTM_NAMES: Readonly<Record<number, string>> = {
  [RTM_NEWLINK]: "RTM_NEWLINK",
  [RTM_DELLINK]: "RTM_DELLINK",
  [RTM_GETLINK]: "RTM_GETLINK",
  [RTM_SETLINK]: "RTM_SETLINK",
  [RTM_NEWADDR]: "RTM_NEWADDR",
  [RTM_DELADDR]: "RTM_DELADDR",
  [RTM_GETADDR]: "RTM_GETADDR",
  [RTM_NEWROUTE]: "RTM_NEWROUTE",
  [RTM_DELROUTE]: "RTM_DELROUTE",
  [RTM_GETROUTE]: "RTM_GETROUTE",
};

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

// Link flags (<net/if.h>).
export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
export const IFF_POINTOPOINT = 0x10;
export const IFF_RUNNING = 0x40;
export const IFF_NOARP = 0x80;
export const IFF_MULTICAST = 0x1000;
export const IFF_LOWER_UP = 0x10000;

export const ARPHRD_ETHER = 1;
export const ARPHRD_LOOPBACK = 772;

// Link attributes.
export const IFLA_ADDRESS = 1;
export const IFLA_BROADCAST = 2;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKINFO = 18;
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const IFLA_VLAN_ID = 1;

// Address attributes.
export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_BROADCAST = 4;
export const IFA_CACHEINFO = 6;
export const IFA_FLAGS = 8;
export const IFA_F_NODAD = 0x02;
export const IFA_F_PERMANENT = 0x80;

// Route attributes and values.
export const RTA_DST = 1;
export const RTA_SRC = 2;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_PREFSRC = 7;
export const RTA_TABLE = 15;
export const RT_TABLE_MAIN = 254;
export const RTPROT_KERNEL = 2;
export const RTPROT_BOOT = 3;
export const RTPROT_STATIC = 4;
export const RTPROT_DHCP = 16;
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;
export const RTN_UNICAST = 1;

export const NLMSG_HDRLEN = 16;
export const IFINFOMSG_LEN = 16;
export const IFADDRMSG_LEN = 8;
export const RTMSG_LEN = 12;

/** Rounds up to the 4-byte netlink alignment. */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Thrown when bytes from the kernel do not parse; `code` is always "malformed". */
export class NetlinkDecodeError extends Error {
  override readonly name = "NetlinkDecodeError";
  readonly code = "malformed";
}

/** One attribute: a type and either raw bytes or nested attributes. */
export type RtAttr = { readonly type: number; readonly data: Uint8Array } | NestedAttr;
export interface NestedAttr {
  readonly type: number;
  readonly nested: readonly RtAttr[];
}

export function attrU32(type: number, value: number): RtAttr {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setUint32(0, value >>> 0, true);
  return { type, data };
}

export function attrU16(type: number, value: number): RtAttr {
  const data = new Uint8Array(2);
  new DataView(data.buffer).setUint16(0, value, true);
  return { type, data };
}

/** A NUL-terminated string attribute. */
export function attrString(type: number, value: string): RtAttr {
  const text = new TextEncoder().encode(value);
  const data = new Uint8Array(text.length + 1);
  data.set(text);
  return { type, data };
}

export function attrBytes(type: number, data: Uint8Array): RtAttr {
  return { type, data };
}

export function attrNested(type: number, nested: readonly RtAttr[]): RtAttr {
  return { type, nested };
}

function attrPayload(attr: RtAttr): Uint8Array {
  return "nested" in attr ? encodeAttrs(attr.nested) : attr.data;
}

/** Encodes attributes: each `rta_len` (u16), `rta_type` (u16), payload, padding to 4 bytes. */
export function encodeAttrs(attrs: readonly RtAttr[]): Uint8Array {
  const payloads = attrs.map(attrPayload);
  const total = payloads.reduce((n, p) => n + align4(4 + p.length), 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let off = 0;
  attrs.forEach((attr, i) => {
    const payload = payloads[i] as Uint8Array;
    view.setUint16(off, 4 + payload.length, true);
    view.setUint16(off + 2, attr.type, true);
    out.set(payload, off + 4);
    off += align4(4 + payload.length);
  });
  return out;
}

/** Decodes a run of attributes into a map of type => payload (the NLA_F_NESTED/BYTEORDER bits dropped). */
export function decodeAttrs(bytes: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  while (off + 4 <= bytes.length) {
    const len = view.getUint16(off, true);
    const type = view.getUint16(off + 2, true) & 0x3fff;
    if (len < 4 || off + len > bytes.length)
      throw new NetlinkDecodeError(`bad rtattr length ${len} at ${off}`);
    if (!out.has(type)) out.set(type, bytes.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

export function readU32(data: Uint8Array | undefined): number | undefined {
  if (data === undefined || data.length < 4) return undefined;
  return new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true);
}

/** A NUL-terminated string payload. */
export function readString(data: Uint8Array | undefined): string | undefined {
  if (data === undefined) return undefined;
  const end = data.indexOf(0);
  return new TextDecoder().decode(end < 0 ? data : data.subarray(0, end));
}

export interface NlMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  /** Everything after the 16-byte header. */
  readonly payload: Uint8Array;
}

/** nlmsghdr (len, type, flags, seq, pid) followed by `body`. */
export function encodeMessage(msg: Omit<NlMessage, "payload"> & { readonly body: Uint8Array }): Uint8Array {
  const out = new Uint8Array(NLMSG_HDRLEN + msg.body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, out.length, true);
  view.setUint16(4, msg.type, true);
  view.setUint16(6, msg.flags, true);
  view.setUint32(8, msg.seq, true);
  view.setUint32(12, msg.pid, true);
  out.set(msg.body, NLMSG_HDRLEN);
  return out;
}

/** Splits a datagram from the kernel into its messages. */
export function decodeMessages(bytes: Uint8Array): NlMessage[] {
  const out: NlMessage[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  while (off + NLMSG_HDRLEN <= bytes.length) {
    const len = view.getUint32(off, true);
    if (len < NLMSG_HDRLEN || off + len > bytes.length) {
      throw new NetlinkDecodeError(`bad nlmsg length ${len} at ${off} of ${bytes.length}`);
    }
    out.push({
      type: view.getUint16(off + 4, true),
      flags: view.getUint16(off + 6, true),
      seq: view.getUint32(off + 8, true),
      pid: view.getUint32(off + 12, true),
      payload: bytes.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** The errno of an NLMSG_ERROR payload (0 is an ACK), positive. */
export function decodeErrorPayload(payload: Uint8Array): number {
  if (payload.length < 4) throw new NetlinkDecodeError("short NLMSG_ERROR");
  return Math.abs(new DataView(payload.buffer, payload.byteOffset, 4).getInt32(0, true));
}

function concat(head: Uint8Array, attrs: readonly RtAttr[]): Uint8Array {
  const tail = encodeAttrs(attrs);
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

export interface IfInfoMsg {
  readonly family: number;
  readonly type: number;
  readonly index: number;
  readonly flags: number;
  readonly change: number;
}

/** struct ifinfomsg + attributes. */
export function encodeIfInfo(msg: IfInfoMsg, attrs: readonly RtAttr[] = []): Uint8Array {
  const head = new Uint8Array(IFINFOMSG_LEN);
  const view = new DataView(head.buffer);
  view.setUint8(0, msg.family);
  view.setUint16(2, msg.type, true);
  view.setInt32(4, msg.index, true);
  view.setUint32(8, msg.flags >>> 0, true);
  view.setUint32(12, msg.change >>> 0, true);
  return concat(head, attrs);
}

export function decodeIfInfo(payload: Uint8Array): IfInfoMsg & { attrs: Map<number, Uint8Array> } {
  if (payload.length < IFINFOMSG_LEN) throw new NetlinkDecodeError("short ifinfomsg");
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return {
    family: view.getUint8(0),
    type: view.getUint16(2, true),
    index: view.getInt32(4, true),
    flags: view.getUint32(8, true),
    change: view.getUint32(12, true),
    attrs: decodeAttrs(payload.subarray(IFINFOMSG_LEN)),
  };
}

export interface IfAddrMsg {
  readonly family: number;
  readonly prefixLength: number;
  readonly flags: number;
  readonly scope: number;
  readonly index: number;
}

/** struct ifaddrmsg + attributes. */
export function encodeIfAddr(msg: IfAddrMsg, attrs: readonly RtAttr[] = []): Uint8Array {
  const head = new Uint8Array(IFADDRMSG_LEN);
  const view = new DataView(head.buffer);
  view.setUint8(0, msg.family);
  view.setUint8(1, msg.prefixLength);
  view.setUint8(2, msg.flags);
  view.setUint8(3, msg.scope);
  view.setUint32(4, msg.index, true);
  return concat(head, attrs);
}

export function decodeIfAddr(payload: Uint8Array): IfAddrMsg & { attrs: Map<number, Uint8Array> } {
  if (payload.length < IFADDRMSG_LEN) throw new NetlinkDecodeError("short ifaddrmsg");
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return {
    family: view.getUint8(0),
    prefixLength: view.getUint8(1),
    flags: view.getUint8(2),
    scope: view.getUint8(3),
    index: view.getUint32(4, true),
    attrs: decodeAttrs(payload.subarray(IFADDRMSG_LEN)),
  };
}

export interface RtMsg {
  readonly family: number;
  readonly dstLength: number;
  readonly srcLength: number;
  readonly tos: number;
  readonly table: number;
  readonly protocol: number;
  readonly scope: number;
  readonly type: number;
  readonly flags: number;
}

/** struct rtmsg + attributes. */
export function encodeRtMsg(msg: RtMsg, attrs: readonly RtAttr[] = []): Uint8Array {
  const head = new Uint8Array(RTMSG_LEN);
  const view = new DataView(head.buffer);
  view.setUint8(0, msg.family);
  view.setUint8(1, msg.dstLength);
  view.setUint8(2, msg.srcLength);
  view.setUint8(3, msg.tos);
  view.setUint8(4, msg.table);
  view.setUint8(5, msg.protocol);
  view.setUint8(6, msg.scope);
  view.setUint8(7, msg.type);
  view.setUint32(8, msg.flags >>> 0, true);
  return concat(head, attrs);
}

export function decodeRtMsg(payload: Uint8Array): RtMsg & { attrs: Map<number, Uint8Array> } {
  if (payload.length < RTMSG_LEN) throw new NetlinkDecodeError("short rtmsg");
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return {
    family: view.getUint8(0),
    dstLength: view.getUint8(1),
    srcLength: view.getUint8(2),
    tos: view.getUint8(3),
    table: view.getUint8(4),
    protocol: view.getUint8(5),
    scope: view.getUint8(6),
    type: view.getUint8(7),
    flags: view.getUint32(8, true),
    attrs: decodeAttrs(payload.subarray(RTMSG_LEN)),
  };
}
