import { expect, test } from "bun:test";
import { addressBucket, normalizePeerAddress } from "./peer-address.ts";

test("an IPv4-mapped IPv6 address is its IPv4 address", () => {
  expect(normalizePeerAddress("::ffff:10.0.0.2")).toBe("10.0.0.2");
  expect(normalizePeerAddress("::FFFF:10.0.0.2")).toBe("10.0.0.2");
  expect(normalizePeerAddress("fd00::2")).toBe("fd00::2");
  expect(normalizePeerAddress("::ffff:fd00")).toBe("::ffff:fd00");
});

test("connections are counted per IPv4 address and per IPv6 /64", () => {
  expect(addressBucket("10.0.0.2")).toBe("10.0.0.2");
  expect(addressBucket("::ffff:10.0.0.2")).toBe("10.0.0.2");
  expect(addressBucket("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
  expect(addressBucket("2001:db8:1:2:bbbb:cccc:dddd:eeee")).toBe("2001:db8:1:2::/64");
  expect(addressBucket("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
  expect(addressBucket("::1")).toBe("0:0:0:0::/64");
  expect(addressBucket("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
  expect(addressBucket("64:ff9b::10.0.0.1")).toBe("64:ff9b:0:0::/64");
});
