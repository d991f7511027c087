import { expect, test } from "bun:test";
import { formatCidr, formatIp, IpAddressError, netmaskToPrefix, parseCidr, parseIp } from "./ip-address.ts";

test("parses IPv4", () => {
  expect(parseIp("10.0.0.5")).toEqual({ family: 4, bytes: new Uint8Array([10, 0, 0, 5]) });
  expect(() => parseIp("10.0.0.256")).toThrow(IpAddressError);
  expect(() => parseIp("10.0.0")).toThrow("not an IPv4 or IPv6 address");
  expect(() => parseIp("01.0.0.1")).toThrow(IpAddressError);
});

test("parses IPv6 with compression and embedded IPv4", () => {
  const a = parseIp("fd00::5");
  expect(a.family).toBe(6);
  expect(Array.from(a.bytes)).toEqual([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]);
  expect(Array.from(parseIp("::ffff:1.2.3.4").bytes.slice(10))).toEqual([0xff, 0xff, 1, 2, 3, 4]);
  expect(Array.from(parseIp("::").bytes)).toEqual(new Array(16).fill(0));
  expect(() => parseIp("1::2::3")).toThrow(IpAddressError);
  expect(() => parseIp("1:2:3:4:5:6:7:8:9")).toThrow(IpAddressError);
  expect(() => parseIp("1:2:3:4:5:6:7")).toThrow(IpAddressError);
  expect(() => parseIp("g::1")).toThrow(IpAddressError);
});

test("formats IPv6 in RFC 5952 form", () => {
  for (const text of ["fd00::5", "::", "::1", "2001:db8::1:0:0:1", "fe80::1:2:3:4", "1:0:2:3:4:5:6:7"]) {
    expect(formatIp(parseIp(text).bytes)).toBe(text);
  }
  expect(formatIp(parseIp("2001:DB8:0:0:0:0:0:1").bytes)).toBe("2001:db8::1");
});

test("parses CIDRs and checks the prefix length", () => {
  expect(parseCidr("10.0.0.5/24").prefixLength).toBe(24);
  expect(formatCidr(parseCidr("fd00::5/64"))).toBe("fd00::5/64");
  expect(() => parseCidr("10.0.0.5/33")).toThrow("prefix length must be 0-32");
  expect(() => parseCidr("10.0.0.5")).toThrow("missing /prefix-length");
  expect(() => parseCidr("fd00::/129")).toThrow("prefix length must be 0-128");
});

test("netmask to prefix", () => {
  expect(netmaskToPrefix(new Uint8Array([255, 255, 255, 0]))).toBe(24);
  expect(netmaskToPrefix(new Uint8Array([255, 255, 240, 0]))).toBe(20);
  expect(netmaskToPrefix(new Uint8Array([0, 0, 0, 0]))).toBe(0);
  expect(netmaskToPrefix(new Uint8Array([255, 0, 255, 0]))).toBeUndefined();
});
