import { expect, test } from "bun:test";
import { splitHostname, UTS_NAME_MAX, validateDnsName, validateHostname } from "./hostname.ts";

test("accepts single labels and FQDNs", () => {
  expect(validateHostname("cp-1")).toBeUndefined();
  expect(validateHostname("node1.bronze.example")).toBeUndefined();
  expect(validateDnsName("cluster.local.")).toBeUndefined();
});

test("refuses bad labels, empty and overlong names, naming the label", () => {
  expect(validateHostname("-cp")).toBe(
    '"-cp" is not a valid DNS name (label "-cp": letters, digits and inner hyphens, 1-63 characters)',
  );
  expect(validateHostname("cp_1")).toContain('label "cp_1"');
  expect(validateHostname("a..b")).toBe(
    '"a..b" is not a valid DNS name (label "": letters, digits and inner hyphens, 1-63 characters)',
  );
  expect(validateHostname("")).toBe("must not be empty");
  const long = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}`;
  expect(validateDnsName(long)).toBe(`"${long}" is longer than 253 characters`);
  expect(validateHostname("a".repeat(64))).toContain(`label "${"a".repeat(64)}"`);
});

test("a host name is what sethostname(2) and setdomainname(2) take once split as Talos does", () => {
  // The first label is the host name (<= 63 by the label rule), the rest the domain name (<= 64).
  expect(splitHostname("node1.bronze.example")).toEqual({ hostname: "node1", domainname: "bronze.example" });
  expect(splitHostname("cp-1")).toEqual({ hostname: "cp-1", domainname: "" });
  const domain64 = `${"d".repeat(31)}.${"e".repeat(32)}`;
  expect(domain64).toHaveLength(UTS_NAME_MAX);
  expect(validateHostname(`${"h".repeat(63)}.${domain64}`)).toBeUndefined();
  const domain65 = `${domain64}x`;
  // The review's case: a valid DNS name of 69 bytes whose domain the kernel cannot take.
  expect(validateDnsName(`node.${domain65}`)).toBeUndefined();
  expect(validateHostname(`node.${domain65}`)).toBe(
    "the domain after the first label is 65 characters long; the kernel keeps at most 64 (setdomainname)",
  );
});

test("wildcards only where allowed, and only as the first label", () => {
  expect(validateDnsName("*.bronze.example", { wildcard: true })).toBeUndefined();
  expect(validateDnsName("*.bronze.example")).toContain('label "*"');
  expect(validateDnsName("a.*.example", { wildcard: true })).toContain('label "*"');
  expect(validateDnsName("*", { wildcard: true })).toContain('label "*"');
});
