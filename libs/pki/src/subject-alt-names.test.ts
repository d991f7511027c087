import { describe, expect, test } from "bun:test";
import { PkiError } from "./pki-error.ts";
import {
  ipAddressBytes,
  normalizeDnsName,
  normalizeIpAddress,
  normalizeSan,
  normalizeSubjectAltNames,
  readSubjectAltNames,
  subjectAltNameExtension,
} from "./subject-alt-names.ts";

describe("subject alternative names", () => {
  test("DNS names are lowercased, trailing dot dropped, wildcards allowed; invalid ones rejected naming the index", () => {
    expect(normalizeDnsName("Node-1.Example.COM.")).toBe("node-1.example.com");
    expect(normalizeDnsName("*.cluster.local")).toBe("*.cluster.local");
    expect(normalizeDnsName("localhost")).toBe("localhost");
    for (const bad of ["", "-bad.example", "a..b", "under_score", "a".repeat(64), "sp ace", "*.", "a.*.b"]) {
      expect(() => normalizeDnsName(bad)).toThrow(PkiError);
    }
    expect(() => normalizeSubjectAltNames(["ok", "bad name"])).toThrow(
      'dnsNames[1]: "bad name" is not a valid DNS name',
    );
  });

  test("IP addresses: IPv4 as is, IPv6 in canonical compressed form; invalid ones rejected", () => {
    expect(normalizeIpAddress("10.0.0.1")).toBe("10.0.0.1");
    expect(normalizeIpAddress("FD00:0:0:0::0001")).toBe("fd00::1");
    expect(normalizeIpAddress("[::1]")).toBe("::1");
    expect(() => normalizeIpAddress("10.0.0.256")).toThrow(PkiError);
    expect(() => normalizeSubjectAltNames([], ["1.2.3"])).toThrow(
      'ipAddresses[0]: "1.2.3" is not a valid IP address',
    );
    expect(normalizeSan("fd00::0:1", "x")).toEqual({ kind: "ip", value: "fd00::1" });
    expect(normalizeSan("API.local", "x")).toEqual({ kind: "dns", value: "api.local" });
  });

  test("duplicates are removed; the extension round-trips", () => {
    const sans = normalizeSubjectAltNames(
      ["a.example", "A.example", "b"],
      ["10.0.0.1", "10.0.0.1", "fd00::1"],
    );
    expect(sans).toEqual({ dnsNames: ["a.example", "b"], ipAddresses: ["10.0.0.1", "fd00::1"] });
    expect(readSubjectAltNames(subjectAltNameExtension(sans) ?? null)).toEqual({ ...sans, others: [] });
    expect(subjectAltNameExtension({ dnsNames: [], ipAddresses: [] })).toBeUndefined();
    expect(readSubjectAltNames(null)).toEqual({ dnsNames: [], ipAddresses: [], others: [] });
  });

  test("IP addresses to bytes: IPv4, IPv6 compressed anywhere, IPv6 with a dotted IPv4 tail", () => {
    const hex = (address: string) => Buffer.from(ipAddressBytes(address)).toString("hex");
    expect(hex("10.0.0.1")).toBe("0a000001");
    expect(hex("255.255.255.255")).toBe("ffffffff");
    expect(hex("::")).toBe("0".repeat(32));
    expect(hex("::1")).toBe(`${"0".repeat(31)}1`);
    expect(hex("fd00::1")).toBe("fd000000000000000000000000000001");
    expect(hex("fe80::1:2")).toBe("fe800000000000000000000000010002");
    expect(hex("1:2:3:4:5:6:7:8")).toBe("00010002000300040005000600070008");
    expect(hex("2001:db8::")).toBe("20010db8000000000000000000000000");
    expect(hex("::ffff:1.2.3.4")).toBe("00000000000000000000ffff01020304");
    expect(hex("64:ff9b::192.0.2.33")).toBe("0064ff9b0000000000000000c0000221");
    expect(() => ipAddressBytes("1.2.3")).toThrow(PkiError);
    expect(() => ipAddressBytes("fd00::1::2")).toThrow(PkiError);
  });

  test("the extension: [2] dNSName then [7] iPAddress, not critical", () => {
    const extension = subjectAltNameExtension({ dnsNames: ["a.b"], ipAddresses: ["10.0.0.1", "::1"] });
    expect(extension?.oid).toBe("2.5.29.17");
    expect(extension?.critical).toBe(false);
    expect(Buffer.from(extension?.value ?? []).toString("hex")).toBe(
      `301d8203612e6287040a0000018710${"0".repeat(31)}1`,
    );
  });
});
