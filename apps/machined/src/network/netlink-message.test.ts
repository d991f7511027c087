import { expect, test } from "bun:test";
import {
  AF_INET,
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
  encodeAttrs,
  encodeIfAddr,
  encodeIfInfo,
  encodeMessage,
  encodeRtMsg,
  IFA_ADDRESS,
  IFA_LOCAL,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_LINKINFO,
  IFLA_MTU,
  IFLA_VLAN_ID,
  NetlinkDecodeError,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REQUEST,
  NLMSG_ERROR,
  RTA_GATEWAY,
  RTA_OIF,
  RTM_NEWADDR,
  RTM_NEWROUTE,
  RTM_SETLINK,
  readString,
  readU32,
} from "./netlink-message.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("RTM_NEWADDR 10.0.0.5/24 dev 2 encodes to the kernel's layout", () => {
  const body = encodeIfAddr({ family: AF_INET, prefixLength: 24, flags: 0, scope: 0, index: 2 }, [
    attrBytes(IFA_LOCAL, new Uint8Array([10, 0, 0, 5])),
    attrBytes(IFA_ADDRESS, new Uint8Array([10, 0, 0, 5])),
  ]);
  const msg = encodeMessage({
    type: RTM_NEWADDR,
    flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
    seq: 1,
    pid: 0,
    body,
  });
  expect(hex(msg)).toBe(
    [
      "28000000", // nlmsg_len 40
      "1400", // RTM_NEWADDR
      "0506", // REQUEST|ACK|EXCL|CREATE
      "01000000", // seq
      "00000000", // pid
      "02180000", // AF_INET, /24, flags, scope
      "02000000", // ifindex 2
      "080002000a000005", // IFA_LOCAL
      "080001000a000005", // IFA_ADDRESS
    ].join(""),
  );
});

test("string attributes are NUL-terminated and padded to 4 bytes", () => {
  expect(hex(encodeAttrs([attrString(IFLA_IFNAME, "eth0")]))).toBe("0900030065746830" + "00000000");
  expect(hex(encodeAttrs([attrU32(IFLA_MTU, 9000)]))).toBe("0800040028230000");
  expect(hex(encodeAttrs([attrU16(IFLA_VLAN_ID, 100)]))).toBe("0600010064000000");
});

test("nested attributes (a VLAN's IFLA_LINKINFO)", () => {
  const bytes = encodeAttrs([
    attrNested(IFLA_LINKINFO, [
      attrString(IFLA_INFO_KIND, "vlan"),
      attrNested(IFLA_INFO_DATA, [attrU16(IFLA_VLAN_ID, 5)]),
    ]),
  ]);
  expect(hex(bytes)).toBe("1c001200" + "09000100766c616e00000000" + "0c000200" + "0600010005000000");
  const linkinfo = decodeAttrs(decodeAttrs(bytes).get(IFLA_LINKINFO) as Uint8Array);
  expect(readString(linkinfo.get(IFLA_INFO_KIND))).toBe("vlan");
});

test("ifinfomsg round-trips and sets index, flags and change", () => {
  const body = encodeIfInfo({ family: 0, type: 0, index: 3, flags: 1, change: 1 }, [attrU32(IFLA_MTU, 1400)]);
  expect(hex(body.subarray(0, 16))).toBe("00000000" + "03000000" + "01000000" + "01000000");
  const back = decodeIfInfo(body);
  expect(back.index).toBe(3);
  expect(readU32(back.attrs.get(IFLA_MTU))).toBe(1400);
  const msg = encodeMessage({ type: RTM_SETLINK, flags: NLM_F_REQUEST | NLM_F_ACK, seq: 7, pid: 0, body });
  const [decoded] = decodeMessages(msg);
  expect(decoded?.type).toBe(RTM_SETLINK);
  expect(decoded?.seq).toBe(7);
  expect(hex(decoded?.payload ?? new Uint8Array())).toBe(hex(body));
});

test("rtmsg for a default route via gateway", () => {
  const body = encodeRtMsg(
    {
      family: AF_INET,
      dstLength: 0,
      srcLength: 0,
      tos: 0,
      table: 254,
      protocol: 4,
      scope: 0,
      type: 1,
      flags: 0,
    },
    [attrBytes(RTA_GATEWAY, new Uint8Array([10, 0, 0, 1])), attrU32(RTA_OIF, 2)],
  );
  expect(hex(body)).toBe("02000000fe040001" + "00000000" + "080005000a000001" + "0800040002000000");
  const back = decodeRtMsg(body);
  expect(back.table).toBe(254);
  expect(Array.from(back.attrs.get(RTA_GATEWAY) ?? [])).toEqual([10, 0, 0, 1]);
  expect(encodeMessage({ type: RTM_NEWROUTE, flags: 0, seq: 0, pid: 0, body }).length).toBe(16 + 28);
});

test("ifaddrmsg decodes", () => {
  const back = decodeIfAddr(encodeIfAddr({ family: 10, prefixLength: 64, flags: 0x80, scope: 0, index: 9 }));
  expect(back).toMatchObject({ family: 10, prefixLength: 64, flags: 0x80, index: 9 });
});

test("multiple messages in one datagram, and NLMSG_ERROR payloads", () => {
  const err = new Uint8Array(20);
  new DataView(err.buffer).setInt32(0, -17, true);
  const a = encodeMessage({ type: NLMSG_ERROR, flags: 0, seq: 1, pid: 0, body: err });
  const b = encodeMessage({ type: NLMSG_ERROR, flags: 0, seq: 2, pid: 0, body: new Uint8Array(20) });
  const both = new Uint8Array(a.length + b.length);
  both.set(a);
  both.set(b, a.length);
  const msgs = decodeMessages(both);
  expect(msgs.map((m) => m.seq)).toEqual([1, 2]);
  expect(decodeErrorPayload(msgs[0]?.payload as Uint8Array)).toBe(17);
  expect(decodeErrorPayload(msgs[1]?.payload as Uint8Array)).toBe(0);
});

test("malformed input is a NetlinkDecodeError", () => {
  const bad = encodeMessage({ type: 16, flags: 0, seq: 0, pid: 0, body: new Uint8Array(4) });
  new DataView(bad.buffer).setUint32(0, 999, true);
  expect(() => decodeMessages(bad)).toThrow(NetlinkDecodeError);
  expect(() => decodeAttrs(new Uint8Array([200, 0, 1, 0]))).toThrow("bad rtattr length");
  expect(() => decodeIfInfo(new Uint8Array(3))).toThrow("short ifinfomsg");
});
