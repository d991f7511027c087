import { expect, test } from "bun:test";
import {
  BROADCAST_FLAG,
  DhcpDecodeError,
  decodeDhcpMessage,
  encodeDhcpMessage,
  parseMac,
} from "./dhcp-message.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("a DISCOVER encodes to the RFC 2131 layout", () => {
  const bytes = encodeDhcpMessage({
    op: 1,
    xid: 0x12345678,
    flags: BROADCAST_FLAG,
    chaddr: "52:54:00:ab:cd:ef",
    options: { messageType: "DISCOVER", parameterRequestList: [1, 3, 6], hostname: "node1" },
  });
  expect(bytes.length).toBe(300);
  expect(hex(bytes.subarray(0, 12))).toBe("01010600" + "12345678" + "0000" + "8000");
  expect(hex(bytes.subarray(12, 28))).toBe("00".repeat(16)); // ciaddr yiaddr siaddr giaddr
  expect(hex(bytes.subarray(28, 44))).toBe(`525400abcdef${"00".repeat(10)}`);
  expect(hex(bytes.subarray(44, 236))).toBe("00".repeat(192)); // sname, file
  expect(hex(bytes.subarray(236, 240))).toBe("63825363");
  // 53=1, 55=[1,3,6], 12="node1", end
  expect(hex(bytes.subarray(240, 240 + 15))).toBe("350101" + "3703010306" + "0c056e6f646531");
  expect(bytes[240 + 15]).toBe(0xff);
});

test("decodes an ACK built byte by byte, with every option Bronze reads", () => {
  const b = new Uint8Array(320);
  b.set([2, 1, 6, 0, 0xde, 0xad, 0xbe, 0xef], 0);
  b.set([10, 0, 0, 50], 16); // yiaddr
  b.set([10, 0, 0, 1], 20); // siaddr
  b.set([0x52, 0x54, 0, 1, 2, 3], 28);
  b.set([0x63, 0x82, 0x53, 0x63], 236);
  const opts = [
    [53, 1, 5],
    [54, 4, 10, 0, 0, 1],
    [51, 4, 0, 0, 0x0e, 0x10], // 3600
    [58, 4, 0, 0, 0x07, 0x08], // 1800
    [59, 4, 0, 0, 0x0c, 0x4e], // 3150
    [1, 4, 255, 255, 255, 0],
    [3, 4, 10, 0, 0, 1],
    [6, 8, 10, 0, 0, 2, 10, 0, 0, 3],
    [12, 3, 0x6e, 0x31, 0x00], // "n1\0": trailing NULs dropped
    [15, 7, ...Buffer.from("example")],
    [26, 2, 0x05, 0xdc], // 1500
    [0], // pad
    [255],
  ].flat();
  b.set(opts, 240);
  const msg = decodeDhcpMessage(b);
  expect(msg).toMatchObject({
    op: 2,
    xid: 0xdeadbeef,
    yiaddr: "10.0.0.50",
    siaddr: "10.0.0.1",
    chaddr: "52:54:00:01:02:03",
  });
  expect(msg.options).toEqual({
    messageType: "ACK",
    serverId: "10.0.0.1",
    leaseTime: 3600,
    renewalTime: 1800,
    rebindingTime: 3150,
    subnetMask: "255.255.255.0",
    routers: ["10.0.0.1"],
    dnsServers: ["10.0.0.2", "10.0.0.3"],
    hostname: "n1",
    domainName: "example",
    mtu: 1500,
  });
});

test("encode and decode round-trip a REQUEST", () => {
  const msg = {
    op: 1 as const,
    xid: 42,
    secs: 3,
    flags: 0,
    ciaddr: "10.0.0.50",
    yiaddr: "0.0.0.0",
    siaddr: "0.0.0.0",
    giaddr: "0.0.0.0",
    chaddr: "aa:bb:cc:dd:ee:ff",
    options: {
      messageType: "REQUEST" as const,
      requestedIp: "10.0.0.50",
      serverId: "10.0.0.1",
      maxMessageSize: 1500,
      clientId: new Uint8Array([1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]),
      parameterRequestList: [1, 3, 6, 12, 15, 26, 51, 58, 59],
    },
  };
  expect(decodeDhcpMessage(encodeDhcpMessage(msg))).toEqual(msg);
});

test("split options are concatenated (RFC 3396)", () => {
  const b = encodeDhcpMessage({ op: 2, xid: 1, chaddr: "00:00:00:00:00:01", options: {} });
  b.set([6, 4, 1, 1, 1, 1, 6, 4, 8, 8, 8, 8, 255], 240);
  expect(decodeDhcpMessage(b).options.dnsServers).toEqual(["1.1.1.1", "8.8.8.8"]);
});

test("malformed packets are DhcpDecodeErrors saying what is wrong", () => {
  expect(() => decodeDhcpMessage(new Uint8Array(100))).toThrow("packet of 100 bytes is too short");
  const good = encodeDhcpMessage({
    op: 2,
    xid: 1,
    chaddr: "00:00:00:00:00:01",
    options: { messageType: "OFFER" },
  });
  const noCookie = good.slice();
  noCookie[236] = 0;
  expect(() => decodeDhcpMessage(noCookie)).toThrow("no DHCP magic cookie");
  const overrun = good.slice(0, 244);
  overrun.set([3, 40, 1, 2], 240);
  expect(() => decodeDhcpMessage(overrun)).toThrow("option 3 runs past the end");
  const badRouter = good.slice();
  badRouter.set([3, 3, 1, 2, 3, 255], 240);
  expect(() => decodeDhcpMessage(badRouter)).toThrow(DhcpDecodeError);
  const badType = good.slice();
  badType.set([53, 1, 99, 255], 240);
  expect(() => decodeDhcpMessage(badType)).toThrow("unknown DHCP message type 99");
  expect(() => parseMac("52:54:00")).toThrow("invalid MAC address");
});
