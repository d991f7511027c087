import { expect, test } from "bun:test";
import { validateDnsName, validateHostname } from "./hostname.ts";

test("accepts single labels and FQDNs", () => {
  expect(validateHostname("cp-1")).toBeUndefined();
  expect(validateHostname("node1.bronze.example")).toBeUndefined();
  expect(validateDnsName("cluster.local.")).toBeUndefined();
});

test("refuses bad labels, empty and overlong names", () => {
  expect(validateHostname("-cp")).toContain("not a valid DNS name");
  expect(validateHostname("cp_1")).toContain('label "cp_1"');
  expect(validateHostname("a..b")).toBeDefined();
  expect(validateHostname("")).toBe("must not be empty");
  expect(
    validateHostname(`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}`),
  ).toContain("253");
  expect(validateHostname("a".repeat(64))).toBeDefined();
});

test("wildcards only where allowed, and only as the first label", () => {
  expect(validateDnsName("*.bronze.example", { wildcard: true })).toBeUndefined();
  expect(validateDnsName("*.bronze.example")).toBeDefined();
  expect(validateDnsName("a.*.example", { wildcard: true })).toBeDefined();
  expect(validateDnsName("*", { wildcard: true })).toBeDefined();
});
