/**
 * A synchronous rtnetlink client: links, addresses and routes over a NETLINK_ROUTE socket. Each call sends
 * one request with NLM_F_ACK and reads until its ACK (or NLMSG_DONE for dumps); a kernel refusal becomes a
 * NetlinkError naming the request: `RTM_NEWADDR 10.0.0.5/24 dev eth0: File exists (EEXIST)`.
 */
import { formatIpAddress } from "@bronze/pki";
import { type Cidr, formatCidr, parseCidr, parseIp } from "./cidr.ts";
import { NetlinkError } from "./netlink-error.ts";
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  attrBytes,
  attrNested,
  attrString,
  attrU16,
  attrU32,
  decodeAttrs,
  decodeErrorPayload,
  decodeIfAddr,
  decodeIfInfo,
  decodeMessages,
  decodeRtMsg,
  encodeIfAddr,
  encodeIfInfo,
  encodeMessage,
  encodeRtMsg,
  IFA_ADDRESS,
  IFA_BROADCAST,
  IFA_FLAGS,
  IFA_LOCAL,
  IFF_LOOPBACK,
  IFF_LOWER_UP,
  IFF_UP,
  IFLA_ADDRESS,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_LINK,
  IFLA_LINKINFO,
  IFLA_MTU,
  IFLA_VLAN_ID,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
  RTA_DST,
  RTA_GATEWAY,
  RTA_OIF,
  RTA_PRIORITY,
  RTA_TABLE,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_DELROUTE,
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_GETROUTE,
  RTM_NAMES,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
  RTM_SETLINK,
  RTN_UNICAST,
  RTPROT_STATIC,
  type RtAttr,
  readString,
  readU32,
} from "./netlink-message.ts";
import {
  describeErrno,
  type NetlinkSocket,
  type NetlinkSocketOptions,
  RouteNetlinkSocket,
} from "./netlink-socket.ts";

const RT_SCOPE_NOWHERE = 255;

/** A link by name ("eth0") or index (2). */
export type LinkRef = string | number;

export interface Link {
  readonly index: number;
  readonly name: string;
  /** IFF_* flags. */
  readonly flags: number;
  readonly up: boolean;
  readonly lowerUp: boolean;
  readonly loopback: boolean;
  readonly mtu: number;
  /** "52:54:00:12:34:56", absent for links without a hardware address. */
  readonly mac?: string;
  /** ARPHRD_* (1 = Ethernet, 772 = loopback). */
  readonly type: number;
  /** IFLA_INFO_KIND: "veth", "vlan", "bridge"...; absent for plain (physical) devices. */
  readonly kind?: string;
  /** IFLA_LINK: the parent's index (VLANs, veth peers). */
  readonly parentIndex?: number;
}

export interface Address {
  readonly index: number;
  readonly family: 4 | 6;
  readonly address: string;
  readonly prefixLength: number;
  /** `10.0.0.5/24` */
  readonly cidr: string;
  readonly scope: number;
  readonly flags: number;
}

export interface RouteSpec {
  /** Destination CIDR; absent means the default route (0.0.0.0/0, or ::/0 with an IPv6 gateway). */
  readonly destination?: string;
  readonly gateway?: string;
  readonly dev?: LinkRef;
  readonly metric?: number;
  /** RTPROT_*; default RTPROT_STATIC (4). */
  readonly protocol?: number;
  /** Default RT_TABLE_MAIN. */
  readonly table?: number;
}

export interface Route {
  readonly family: 4 | 6;
  /** `0.0.0.0/0` for the default route. */
  readonly destination: string;
  readonly gateway?: string;
  readonly oif?: number;
  readonly metric?: number;
  readonly table: number;
  readonly protocol: number;
  readonly scope: number;
  readonly type: number;
}

export interface WriteOptions {
  /** NLM_F_REPLACE instead of NLM_F_EXCL: update in place rather than fail with EEXIST. */
  readonly replace?: boolean;
}

export interface RtNetlinkOptions extends NetlinkSocketOptions {
  /** Injected for tests; default a real RouteNetlinkSocket. */
  readonly socket?: NetlinkSocket;
  /** errno => description; default libc's strerror. */
  readonly describeErrno?: (errno: number) => string;
}

function formatMac(bytes: Uint8Array | undefined): string | undefined {
  if (bytes === undefined || bytes.length === 0) return undefined;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(":");
}

function familyOf(f: 4 | 6): number {
  return f === 4 ? AF_INET : AF_INET6;
}

function v4Broadcast(cidr: Cidr): Uint8Array {
  const out = new Uint8Array(cidr.bytes);
  for (let bit = cidr.prefixLength; bit < 32; bit++)
    out[bit >> 3] = (out[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  return out;
}

export class RtNetlink {
  readonly #socket: NetlinkSocket;
  readonly #describe: (errno: number) => string;
  #seq = Math.floor(Date.now() / 1000) & 0xffff;

  constructor(options: RtNetlinkOptions = {}) {
    this.#socket = options.socket ?? new RouteNetlinkSocket(options);
    this.#describe = options.describeErrno ?? ((errno) => describeErrno(errno));
  }

  close(): void {
    this.#socket.close();
  }

  /** Sends one request and returns the payloads of the replies of type `replyType` (dumps: all parts). */
  #request(type: number, flags: number, body: Uint8Array, what: string, replyType?: number): Uint8Array[] {
    const seq = ++this.#seq >>> 0;
    const dump = (flags & NLM_F_DUMP) === NLM_F_DUMP;
    const request = `${RTM_NAMES[type] ?? `RTM_${type}`}${what === "" ? "" : ` ${what}`}`;
    this.#socket.send(
      encodeMessage({ type, flags: flags | NLM_F_REQUEST | (dump ? 0 : NLM_F_ACK), seq, pid: 0, body }),
    );
    const replies: Uint8Array[] = [];
    for (;;) {
      for (const msg of decodeMessages(this.#socket.receive())) {
        if (msg.seq !== seq) continue;
        if (msg.type === NLMSG_ERROR || (msg.type === NLMSG_DONE && msg.payload.length >= 4)) {
          const errno = decodeErrorPayload(msg.payload);
          if (errno !== 0) throw new NetlinkError(request, errno, this.#describe(errno));
          if (msg.type === NLMSG_ERROR) return replies;
        }
        if (msg.type === NLMSG_DONE) return replies;
        if (replyType === undefined || msg.type === replyType) replies.push(msg.payload);
        // A non-dump GET is answered by exactly one message, then the ACK.
      }
    }
  }

  #decodeLink(payload: Uint8Array): Link {
    const info = decodeIfInfo(payload);
    const linkinfo = info.attrs.get(IFLA_LINKINFO);
    const kind = linkinfo === undefined ? undefined : readString(decodeAttrs(linkinfo).get(IFLA_INFO_KIND));
    const mac = formatMac(info.attrs.get(IFLA_ADDRESS));
    const parentIndex = readU32(info.attrs.get(IFLA_LINK));
    return {
      index: info.index,
      name: readString(info.attrs.get(IFLA_IFNAME)) ?? `if${info.index}`,
      flags: info.flags,
      up: (info.flags & IFF_UP) !== 0,
      lowerUp: (info.flags & IFF_LOWER_UP) !== 0,
      loopback: (info.flags & IFF_LOOPBACK) !== 0,
      mtu: readU32(info.attrs.get(IFLA_MTU)) ?? 0,
      type: info.type,
      ...(mac === undefined ? {} : { mac }),
      ...(kind === undefined ? {} : { kind }),
      ...(parentIndex === undefined || parentIndex === info.index ? {} : { parentIndex }),
    };
  }

  listLinks(): Link[] {
    const body = encodeIfInfo({ family: AF_UNSPEC, type: 0, index: 0, flags: 0, change: 0 });
    return this.#request(RTM_GETLINK, NLM_F_DUMP, body, "", RTM_NEWLINK).map((p) => this.#decodeLink(p));
  }

  /** One link; a missing one is a NetlinkError with code ENODEV. */
  getLink(ref: LinkRef): Link {
    const byName = typeof ref === "string";
    const body = encodeIfInfo(
      { family: AF_UNSPEC, type: 0, index: byName ? 0 : ref, flags: 0, change: 0 },
      byName ? [attrString(IFLA_IFNAME, ref)] : [],
    );
    const [payload] = this.#request(RTM_GETLINK, 0, body, `dev ${ref}`, RTM_NEWLINK);
    if (payload === undefined) throw new NetlinkError(`RTM_GETLINK dev ${ref}`, 19, this.#describe(19));
    return this.#decodeLink(payload);
  }

  #index(ref: LinkRef): number {
    return typeof ref === "number" ? ref : this.getLink(ref).index;
  }

  setLinkUp(ref: LinkRef, up = true): void {
    const index = this.#index(ref);
    const body = encodeIfInfo({ family: AF_UNSPEC, type: 0, index, flags: up ? IFF_UP : 0, change: IFF_UP });
    this.#request(RTM_SETLINK, 0, body, `dev ${ref} ${up ? "up" : "down"}`);
  }

  setMtu(ref: LinkRef, mtu: number): void {
    const index = this.#index(ref);
    const body = encodeIfInfo({ family: AF_UNSPEC, type: 0, index, flags: 0, change: 0 }, [
      attrU32(IFLA_MTU, mtu),
    ]);
    this.#request(RTM_SETLINK, 0, body, `dev ${ref} mtu ${mtu}`);
  }

  /** Creates `<name>` as VLAN `vlanId` on `parent` (needs the 8021q module). */
  createVlan(parent: LinkRef, name: string, vlanId: number): Link {
    const parentIndex = this.#index(parent);
    const body = encodeIfInfo({ family: AF_UNSPEC, type: 0, index: 0, flags: 0, change: 0 }, [
      attrString(IFLA_IFNAME, name),
      attrU32(IFLA_LINK, parentIndex),
      attrNested(IFLA_LINKINFO, [
        attrString(IFLA_INFO_KIND, "vlan"),
        attrNested(IFLA_INFO_DATA, [attrU16(IFLA_VLAN_ID, vlanId)]),
      ]),
    ]);
    this.#request(
      RTM_NEWLINK,
      NLM_F_CREATE | NLM_F_EXCL,
      body,
      `${name} link ${parent} type vlan id ${vlanId}`,
    );
    return this.getLink(name);
  }

  deleteLink(ref: LinkRef): void {
    const index = this.#index(ref);
    this.#request(
      RTM_DELLINK,
      0,
      encodeIfInfo({ family: AF_UNSPEC, type: 0, index, flags: 0, change: 0 }),
      `dev ${ref}`,
    );
  }

  /** Addresses of one link, or of all links. */
  listAddresses(ref?: LinkRef): Address[] {
    const index = ref === undefined ? undefined : this.#index(ref);
    const body = encodeIfAddr({ family: AF_UNSPEC, prefixLength: 0, flags: 0, scope: 0, index: 0 });
    const out: Address[] = [];
    for (const payload of this.#request(RTM_GETADDR, NLM_F_DUMP, body, "", RTM_NEWADDR)) {
      const msg = decodeIfAddr(payload);
      if (index !== undefined && msg.index !== index) continue;
      if (msg.family !== AF_INET && msg.family !== AF_INET6) continue;
      const bytes = msg.attrs.get(IFA_LOCAL) ?? msg.attrs.get(IFA_ADDRESS);
      if (bytes === undefined) continue;
      const address = formatIpAddress(bytes);
      out.push({
        index: msg.index,
        family: msg.family === AF_INET ? 4 : 6,
        address,
        prefixLength: msg.prefixLength,
        cidr: `${address}/${msg.prefixLength}`,
        scope: msg.scope,
        flags: readU32(msg.attrs.get(IFA_FLAGS)) ?? msg.flags,
      });
    }
    return out;
  }

  #addressBody(index: number, cidr: Cidr, withBroadcast: boolean): Uint8Array {
    const attrs: RtAttr[] = [attrBytes(IFA_LOCAL, cidr.bytes), attrBytes(IFA_ADDRESS, cidr.bytes)];
    if (withBroadcast && cidr.version === 4 && cidr.prefixLength <= 30) {
      attrs.push(attrBytes(IFA_BROADCAST, v4Broadcast(cidr)));
    }
    const scope = cidr.version === 4 && cidr.bytes[0] === 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
    return encodeIfAddr(
      { family: familyOf(cidr.version), prefixLength: cidr.prefixLength, flags: 0, scope, index },
      attrs,
    );
  }

  /** Adds `10.0.0.5/24` or `fd00::5/64`; an existing one is EEXIST unless `replace`. */
  addAddress(ref: LinkRef, cidrText: string, options: WriteOptions = {}): void {
    const cidr = parseCidr(cidrText);
    const index = this.#index(ref);
    const flags = NLM_F_CREATE | (options.replace ? NLM_F_REPLACE : NLM_F_EXCL);
    this.#request(RTM_NEWADDR, flags, this.#addressBody(index, cidr, true), `${formatCidr(cidr)} dev ${ref}`);
  }

  deleteAddress(ref: LinkRef, cidrText: string): void {
    const cidr = parseCidr(cidrText);
    const index = this.#index(ref);
    this.#request(RTM_DELADDR, 0, this.#addressBody(index, cidr, false), `${formatCidr(cidr)} dev ${ref}`);
  }

  #routeParts(spec: RouteSpec): { family: 4 | 6; dst: Cidr | undefined; gw: Uint8Array | undefined } {
    const gateway = spec.gateway === undefined ? undefined : parseIp(spec.gateway);
    const dst = spec.destination === undefined ? undefined : parseCidr(spec.destination);
    const family = dst?.version ?? gateway?.version ?? 4;
    return { family, dst, gw: gateway?.bytes };
  }

  #describeRoute(spec: RouteSpec, family: 4 | 6): string {
    const parts = [spec.destination ?? (family === 4 ? "default" : "default (IPv6)")];
    if (spec.gateway !== undefined) parts.push(`via ${spec.gateway}`);
    if (spec.dev !== undefined) parts.push(`dev ${spec.dev}`);
    if (spec.metric !== undefined) parts.push(`metric ${spec.metric}`);
    return parts.join(" ");
  }

  #routeBody(spec: RouteSpec, forDelete: boolean): { body: Uint8Array; what: string } {
    const { family, dst, gw } = this.#routeParts(spec);
    const what = this.#describeRoute(spec, family);
    const oif = spec.dev === undefined ? undefined : this.#index(spec.dev);
    const table = spec.table ?? RT_TABLE_MAIN;
    const attrs: RtAttr[] = [];
    if (dst !== undefined && dst.prefixLength > 0) attrs.push(attrBytes(RTA_DST, dst.bytes));
    if (gw !== undefined) attrs.push(attrBytes(RTA_GATEWAY, gw));
    if (oif !== undefined) attrs.push(attrU32(RTA_OIF, oif));
    if (spec.metric !== undefined) attrs.push(attrU32(RTA_PRIORITY, spec.metric));
    if (table > 255) attrs.push(attrU32(RTA_TABLE, table));
    const body = encodeRtMsg(
      {
        family: familyOf(family),
        dstLength: dst?.prefixLength ?? 0,
        srcLength: 0,
        tos: 0,
        table: table > 255 ? 0 : table,
        protocol: forDelete ? 0 : (spec.protocol ?? RTPROT_STATIC),
        scope: forDelete ? RT_SCOPE_NOWHERE : gw === undefined ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE,
        type: RTN_UNICAST,
        flags: 0,
      },
      attrs,
    );
    return { body, what };
  }

  /** Adds a route (default route when `destination` is absent); existing is EEXIST unless `replace`. */
  addRoute(spec: RouteSpec, options: WriteOptions = {}): void {
    const { body, what } = this.#routeBody(spec, false);
    this.#request(RTM_NEWROUTE, NLM_F_CREATE | (options.replace ? NLM_F_REPLACE : NLM_F_EXCL), body, what);
  }

  deleteRoute(spec: RouteSpec): void {
    const { body, what } = this.#routeBody(spec, true);
    this.#request(RTM_DELROUTE, 0, body, what);
  }

  /** Routes of the main table (or `table`) for one family. */
  listRoutes(family: 4 | 6 = 4, table = RT_TABLE_MAIN): Route[] {
    const body = encodeRtMsg({
      family: familyOf(family),
      dstLength: 0,
      srcLength: 0,
      tos: 0,
      table: 0,
      protocol: 0,
      scope: 0,
      type: 0,
      flags: 0,
    });
    const out: Route[] = [];
    for (const payload of this.#request(RTM_GETROUTE, NLM_F_DUMP, body, "", RTM_NEWROUTE)) {
      const msg = decodeRtMsg(payload);
      const msgTable = readU32(msg.attrs.get(RTA_TABLE)) ?? msg.table;
      if (msgTable !== table) continue;
      const dst = msg.attrs.get(RTA_DST);
      const zero = new Uint8Array(family === 4 ? 4 : 16);
      const gw = msg.attrs.get(RTA_GATEWAY);
      const oif = readU32(msg.attrs.get(RTA_OIF));
      const metric = readU32(msg.attrs.get(RTA_PRIORITY));
      out.push({
        family,
        destination: `${formatIpAddress(dst ?? zero)}/${msg.dstLength}`,
        table: msgTable,
        protocol: msg.protocol,
        scope: msg.scope,
        type: msg.type,
        ...(gw === undefined ? {} : { gateway: formatIpAddress(gw) }),
        ...(oif === undefined ? {} : { oif }),
        ...(metric === undefined ? {} : { metric }),
      });
    }
    return out;
  }
}
