import { describe, expect, test } from "bun:test";
import type * as X509 from "@peculiar/x509";
import { x509 } from "./crypto-provider.ts";
import { DerError } from "./der.ts";
import {
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  encodeExtension,
  encodeExtensions,
  extendedKeyUsageExtension,
  keyUsageExtension,
  readBasicConstraints,
  readKeyUsage,
  readSubjectKeyIdentifier,
  subjectKeyIdentifierExtension,
} from "./x509-extensions.ts";
import { EXTENDED_KEY_USAGE, KEY_USAGE, OID } from "./x509-oids.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const keyId = Uint8Array.from({ length: 20 }, (_, i) => i + 1);

describe("x509 extensions", () => {
  test("known answers: basicConstraints, keyUsage, extKeyUsage, SKI, AKI", () => {
    expect(hex(encodeExtension(basicConstraintsExtension(true)))).toBe("300f0603551d130101ff040530030101ff");
    expect(hex(encodeExtension(basicConstraintsExtension(false)))).toBe("300c0603551d130101ff04023000");
    expect(hex(basicConstraintsExtension(true, 0).value)).toBe("30060101ff020100");
    const caUsage = KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign | KEY_USAGE.digitalSignature;
    expect(hex(encodeExtension(keyUsageExtension(caUsage)))).toBe("300e0603551d0f0101ff040403020186");
    expect(
      hex(extendedKeyUsageExtension([EXTENDED_KEY_USAGE.serverAuth, EXTENDED_KEY_USAGE.clientAuth]).value),
    ).toBe("301406082b0601050507030106082b06010505070302");
    // not critical: the BOOLEAN is left out (DEFAULT FALSE)
    expect(hex(encodeExtension(subjectKeyIdentifierExtension(keyId)))).toBe(
      `301d0603551d0e04160414${hex(keyId)}`,
    );
    expect(hex(authorityKeyIdentifierExtension(keyId).value)).toBe(`30168014${hex(keyId)}`);
    expect(hex(encodeExtensions([]))).toBe("3000");
  });

  test("@peculiar/x509 reads what we encode", () => {
    const ca = new x509.BasicConstraintsExtension(encodeExtension(basicConstraintsExtension(true, 2)));
    expect([ca.ca, ca.pathLength, ca.critical]).toEqual([true, 2, true]);
    const leaf = new x509.BasicConstraintsExtension(encodeExtension(basicConstraintsExtension(false)));
    expect([leaf.ca, leaf.critical]).toEqual([false, true]);
    for (const flags of [1, 1 | 4, 1 | 32 | 64, 256, 2 | 8 | 16 | 128]) {
      const usage = new x509.KeyUsagesExtension(encodeExtension(keyUsageExtension(flags)));
      expect([usage.usages, usage.critical]).toEqual([flags, true]);
    }
    const eku = new x509.ExtendedKeyUsageExtension(
      encodeExtension(extendedKeyUsageExtension([EXTENDED_KEY_USAGE.clientAuth, "1.2.3.4"])),
    );
    expect([eku.usages, eku.critical]).toEqual([[EXTENDED_KEY_USAGE.clientAuth, "1.2.3.4"], false]);
    const ski = new x509.SubjectKeyIdentifierExtension(encodeExtension(subjectKeyIdentifierExtension(keyId)));
    expect(ski.keyId).toBe(hex(keyId));
    const aki = new x509.AuthorityKeyIdentifierExtension(
      encodeExtension(authorityKeyIdentifierExtension(keyId)),
    );
    expect(aki.keyId).toBe(hex(keyId));
    expect(aki.type).toBe(OID.authorityKeyIdentifier);
  });

  test("we read what x509 encodes", () => {
    const value = (extension: X509.Extension) => new Uint8Array(extension.value);
    expect(readBasicConstraints(value(new x509.BasicConstraintsExtension(true, 3, true)))).toEqual({
      ca: true,
    });
    expect(readBasicConstraints(value(new x509.BasicConstraintsExtension(false)))).toEqual({ ca: false });
    for (const flags of [1, 1 | 4, 1 | 32 | 64, 256, 511]) {
      expect(readKeyUsage(value(new x509.KeyUsagesExtension(flags)))).toBe(flags);
    }
    expect(hex(readSubjectKeyIdentifier(value(new x509.SubjectKeyIdentifierExtension(hex(keyId)))))).toBe(
      hex(keyId),
    );
  });

  test("malformed values are DerErrors", () => {
    expect(() => readBasicConstraints(Uint8Array.of(0x04, 0x00))).toThrow(DerError);
    expect(() => readBasicConstraints(Uint8Array.of(0x30, 0x03, 0x01, 0x02, 0xff))).toThrow(DerError);
    expect(() => readKeyUsage(Uint8Array.of(0x03, 0x00))).toThrow(DerError);
    expect(() => readSubjectKeyIdentifier(Uint8Array.of(0x30, 0x00))).toThrow(DerError);
  });
});
