import { describe, expect, test } from "bun:test";
import { formatIp, parseIp, parseIpv4, parseIpv6, validateIp } from "./ip.ts";

describe("parseIpv4", () => {
  test("accepts dotted quads", () => {
    expect(Array.from(parseIpv4("10.0.0.255") ?? [])).toEqual([10, 0, 0, 255]);
    expect(Array.from(parseIpv4("0.0.0.0") ?? [])).toEqual([0, 0, 0, 0]);
  });
  test.each(["256.0.0.1", "10.0.0", "10.0.0.1.2", "010.0.0.1", "a.b.c.d", "1..2.3", ""])(
    "refuses %p",
    (text) => {
      expect(parseIpv4(text)).toBeUndefined();
    },
  );
});

describe("parseIpv6", () => {
  test("expands :: and keeps group order", () => {
    const bytes = parseIpv6("fd00:10::1");
    expect(bytes?.[0]).toBe(0xfd);
    expect(bytes?.[3]).toBe(0x10);
    expect(bytes?.[15]).toBe(1);
  });
  test("accepts ::, ::1, full form and embedded IPv4", () => {
    expect(parseIpv6("::")).toBeDefined();
    expect(parseIpv6("::1")?.[15]).toBe(1);
    expect(parseIpv6("2001:db8:0:0:0:0:0:1")).toBeDefined();
    expect(Array.from(parseIpv6("::ffff:10.1.2.3")?.slice(12) ?? [])).toEqual([10, 1, 2, 3]);
  });
  test.each(["1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3", "fe80::1%eth0", "g::1", ":"])(
    "refuses %p",
    (t) => {
      expect(parseIpv6(t)).toBeUndefined();
    },
  );
});

describe("validateIp", () => {
  test("accepts both families", () => {
    expect(validateIp("1.1.1.1")).toBeUndefined();
    expect(validateIp("2606:4700:4700::1111")).toBeUndefined();
    expect(parseIp("2606:4700:4700::1111")?.family).toBe(6);
  });
  test("explains CIDRs and garbage", () => {
    expect(validateIp("10.0.0.0/8")).toContain("is a CIDR");
    expect(validateIp("10.0.0.300")).toContain("not a valid IPv4 or IPv6");
  });
});

test("formatIp compresses the longest zero run", () => {
  const ip = parseIp("fd00:0:0:0:0:0:0:1");
  expect(ip && formatIp(ip)).toBe("fd00::1");
  const v4 = parseIp("10.1.2.3");
  expect(v4 && formatIp(v4)).toBe("10.1.2.3");
});
