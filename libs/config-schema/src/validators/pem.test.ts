import { describe, expect, test } from "bun:test";
import { pkiBase64 } from "../../test/fixtures.ts";
import {
  clearPemCache,
  keyMatchesCertificate,
  parseCertificate,
  parsePrivateKey,
  validateCertificate,
  validatePrivateKey,
} from "./pem.ts";

const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("certificates", () => {
  test("accept a base64 PEM CERTIFICATE", () => {
    expect(validateCertificate(pkiBase64("kubernetes-ca.crt"))).toBeUndefined();
    const cert = parseCertificate(pkiBase64("os-ca.crt"));
    expect(typeof cert).not.toBe("string");
  });
  test("refuse raw PEM, non-base64, non-PEM and other block types", () => {
    expect(validateCertificate(Buffer.from(pkiBase64("kubernetes-ca.crt"), "base64").toString())).toContain(
      "raw PEM",
    );
    expect(validateCertificate("not base64!")).toContain("not valid base64");
    expect(validateCertificate(b64("hello"))).toContain("does not decode to a PEM block");
    expect(validateCertificate(pkiBase64("kubernetes-ca.key"))).toContain(
      "EC PRIVATE KEY block, expected CERTIFICATE",
    );
    expect(validateCertificate("")).toBe("must not be empty");
  });
  test("refuse a CERTIFICATE block with garbage inside", () => {
    const fake = b64("-----BEGIN CERTIFICATE-----\nQUJDRA==\n-----END CERTIFICATE-----\n");
    expect(validateCertificate(fake)).toContain("not a parseable X.509 certificate");
  });
});

describe("private keys", () => {
  test("accept PRIVATE KEY, EC PRIVATE KEY and Talos' ED25519 PRIVATE KEY", () => {
    expect(validatePrivateKey(pkiBase64("os-ca.key"))).toBeUndefined();
    expect(validatePrivateKey(pkiBase64("os-ca.key", "ED25519 PRIVATE KEY"))).toBeUndefined();
    expect(validatePrivateKey(pkiBase64("kubernetes-ca.key"))).toBeUndefined();
  });
  test("refuse certificates and unknown blocks", () => {
    expect(validatePrivateKey(pkiBase64("os-ca.crt"))).toContain(
      "CERTIFICATE block, expected one of PRIVATE KEY",
    );
    expect(
      validatePrivateKey(b64("-----BEGIN PUBLIC KEY-----\nQUJDRA==\n-----END PUBLIC KEY-----\n")),
    ).toContain("PUBLIC KEY");
  });
});

test("keyMatchesCertificate pairs keys with their certificates", () => {
  const cert = parseCertificate(pkiBase64("kubernetes-ca.crt"));
  const own = parsePrivateKey(pkiBase64("kubernetes-ca.key"));
  const other = parsePrivateKey(pkiBase64("unrelated.key"));
  if (typeof cert === "string" || typeof own === "string" || typeof other === "string")
    throw new Error("fixtures");
  expect(keyMatchesCertificate(cert, own)).toBe(true);
  expect(keyMatchesCertificate(cert, other)).toBe(false);
});

test("parsed values are cached by content, and the cache can be cleared", () => {
  const value = pkiBase64("etcd-ca.crt");
  const first = parseCertificate(value);
  expect(parseCertificate(value)).toBe(first);
  clearPemCache();
  const again = parseCertificate(value);
  expect(again).not.toBe(first);
  expect(typeof again).not.toBe("string");
});
