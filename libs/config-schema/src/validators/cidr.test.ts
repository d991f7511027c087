import { describe, expect, test } from "bun:test";
import {
  cidrsOverlap,
  formatCidr,
  networkOf,
  parseCidr,
  validateCidrAddress,
  validateCidrNetwork,
  validateSubnetFilter,
} from "./cidr.ts";

function cidr(text: string) {
  const c = parseCidr(text);
  if (!c) throw new Error(`bad test CIDR ${text}`);
  return c;
}

describe("validateCidrAddress", () => {
  test("accepts addresses with host bits, v4 and v6", () => {
    expect(validateCidrAddress("10.0.0.5/24")).toBeUndefined();
    expect(validateCidrAddress("fd00:10::10/64")).toBeUndefined();
  });
  test("refuses missing or out-of-range prefixes and bad addresses", () => {
    expect(validateCidrAddress("10.0.0.5")).toContain("no prefix length");
    expect(validateCidrAddress("10.0.0.5/33")).toContain("0 to 32");
    expect(validateCidrAddress("fd00::1/129")).toContain("0 to 128");
    expect(validateCidrAddress("10.0.0.300/24")).toContain("not a valid");
    expect(validateCidrAddress("10.0.0.5/024")).toBeDefined();
  });
});

describe("validateCidrNetwork", () => {
  test("accepts networks", () => {
    expect(validateCidrNetwork("10.244.0.0/16")).toBeUndefined();
    expect(validateCidrNetwork("fd00:244::/56")).toBeUndefined();
    expect(validateCidrNetwork("0.0.0.0/0")).toBeUndefined();
  });
  test("refuses host bits and suggests the network", () => {
    expect(validateCidrNetwork("10.244.1.0/16")).toContain("did you mean 10.244.0.0/16");
    expect(validateCidrNetwork("fd00::1/64")).toContain("did you mean fd00::/64");
  });
});

test("validateSubnetFilter accepts a ! negation", () => {
  expect(validateSubnetFilter("!10.0.0.99/32")).toBeUndefined();
  expect(validateSubnetFilter("!10.0.0.99/24")).toContain("host bits");
});

describe("cidrsOverlap", () => {
  test("detects containment and identity", () => {
    expect(cidrsOverlap(cidr("10.0.0.0/8"), cidr("10.96.0.0/12"))).toBe(true);
    expect(cidrsOverlap(cidr("10.96.0.0/12"), cidr("10.0.0.0/8"))).toBe(true);
    expect(cidrsOverlap(cidr("fd00::/48"), cidr("fd00:0:0:1::/64"))).toBe(true);
  });
  test("disjoint networks and different families do not overlap", () => {
    expect(cidrsOverlap(cidr("10.244.0.0/16"), cidr("10.96.0.0/12"))).toBe(false);
    expect(cidrsOverlap(cidr("0.0.0.0/0"), cidr("::/0"))).toBe(false);
    expect(cidrsOverlap(cidr("fd00:244::/56"), cidr("fd00:96::/112"))).toBe(false);
  });
});

test("networkOf clears host bits", () => {
  expect(formatCidr(networkOf(cidr("10.1.2.3/20")))).toBe("10.1.0.0/20");
});
