import { expect, test } from "bun:test";
import { formatCidr, IpAddressError, netmaskToPrefix, parseCidr, parseIp } from "./cidr.ts";

// Parsing and RFC 5952 printing themselves are @bronze/pki's (ip-address.test.ts checks them against
// node:net and WHATWG URL); these check what machined adds.
test("parseIp gives the version and bytes, or throws IpAddressError", () => {
  expect(parseIp("10.0.0.5")).toEqual({ version: 4, bytes: new Uint8Array([10, 0, 0, 5]) });
  const a = parseIp("fd00::5");
  expect(a.version).toBe(6);
  expect(Array.from(a.bytes)).toEqual([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]);
  expect(Array.from(parseIp("::ffff:1.2.3.4").bytes.slice(10))).toEqual([0xff, 0xff, 1, 2, 3, 4]);
  for (const bad of [
    "10.0.0.256",
    "10.0.0",
    "01.0.0.1",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "g::1",
  ]) {
    expect(() => parseIp(bad)).toThrow(IpAddressError);
  }
  expect(() => parseIp("10.0.0")).toThrow('invalid IP address "10.0.0": not an IPv4 or IPv6 address');
});

test("parses CIDRs and checks the prefix length", () => {
  expect(parseCidr("10.0.0.5/24").prefixLength).toBe(24);
  expect(parseCidr("10.0.0.5/24").version).toBe(4);
  expect(formatCidr(parseCidr("fd00::5/64"))).toBe("fd00::5/64");
  expect(() => parseCidr("10.0.0.5/33")).toThrow("prefix length must be 0-32");
  expect(() => parseCidr("10.0.0.5")).toThrow("missing /prefix-length");
  expect(() => parseCidr("fd00::/129")).toThrow("prefix length must be 0-128");
  expect(() => parseCidr("fd00::/")).toThrow("prefix length must be 0-128");
});

test("netmask to prefix", () => {
  expect(netmaskToPrefix(new Uint8Array([255, 255, 255, 0]))).toBe(24);
  expect(netmaskToPrefix(new Uint8Array([255, 255, 240, 0]))).toBe(20);
  expect(netmaskToPrefix(new Uint8Array([0, 0, 0, 0]))).toBe(0);
  expect(netmaskToPrefix(new Uint8Array([255, 0, 255, 0]))).toBeUndefined();
});
