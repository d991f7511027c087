import { describe, expect, test } from "bun:test";
import { PkiError } from "./pki-error.ts";
import {
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
});
