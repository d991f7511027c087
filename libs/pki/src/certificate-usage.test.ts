import { describe, expect, test } from "bun:test";
import { extendedKeyUsages, leafKeyUsage } from "./certificate-usage.ts";
import { x509 } from "./crypto-provider.ts";

describe("certificate usage", () => {
  test("maps client/server/both to extended key usages", () => {
    expect(extendedKeyUsages("client")).toEqual([x509.ExtendedKeyUsage.clientAuth]);
    expect(extendedKeyUsages("server")).toEqual([x509.ExtendedKeyUsage.serverAuth]);
    expect(extendedKeyUsages("both")).toEqual([
      x509.ExtendedKeyUsage.serverAuth,
      x509.ExtendedKeyUsage.clientAuth,
    ]);
    expect(() => extendedKeyUsages("peer" as never)).toThrow(
      'usage: "peer" is not one of client, server, both',
    );
  });

  test("leaf key usage: digitalSignature, plus keyEncipherment for ECDSA", () => {
    expect(leafKeyUsage("ed25519")).toBe(x509.KeyUsageFlags.digitalSignature);
    expect(leafKeyUsage("ecdsa-p256")).toBe(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
    );
  });
});
