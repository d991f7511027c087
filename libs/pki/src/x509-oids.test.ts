import { describe, expect, test } from "bun:test";
import { x509 } from "./crypto-provider.ts";
import { decodeOid } from "./der.ts";
import { derOid } from "./der-writer.ts";
import { EXTENDED_KEY_USAGE, KEY_USAGE, OID } from "./x509-oids.ts";

describe("x509 constants", () => {
  test("key usage flags and extended key usage OIDs are @peculiar/x509's (inspectCertificate names stay the same)", () => {
    for (const [name, flag] of Object.entries(KEY_USAGE)) {
      expect(x509.KeyUsageFlags[name as keyof typeof x509.KeyUsageFlags]).toBe(flag);
    }
    expect(Object.keys(KEY_USAGE)).toHaveLength(9);
    expect(EXTENDED_KEY_USAGE).toEqual({ ...x509.ExtendedKeyUsage });
  });

  test("every OID is well formed and round-trips through the encoder and reader", () => {
    for (const oid of [...Object.values(OID), ...Object.values(EXTENDED_KEY_USAGE)]) {
      expect(decodeOid(derOid(oid).subarray(2))).toBe(oid);
    }
    expect(new Set(Object.values(OID)).size).toBe(Object.keys(OID).length);
  });
});
