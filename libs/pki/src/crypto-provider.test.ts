import { describe, expect, test } from "bun:test";
import { x509 } from "./crypto-provider.ts";

describe("crypto provider", () => {
  test("x509 is loaded (reflect-metadata first) and uses the runtime's WebCrypto", async () => {
    expect(x509.cryptoProvider.get()).toBe(crypto);
    const keys = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
      "sign",
      "verify",
    ])) as unknown as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      name: "CN=t",
      keys,
      signingAlgorithm: { name: "Ed25519" },
    });
    expect(await cert.verify()).toBe(true);
  });
});
