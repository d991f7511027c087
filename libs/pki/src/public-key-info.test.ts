import { describe, expect, test } from "bun:test";
import { extensionText, opensslText, opensslWithOutputs } from "../test/openssl.ts";
import { x509 } from "./crypto-provider.ts";
import { DerError } from "./der.ts";
import { encodePem } from "./pem.ts";
import { keyIdentifier, readPublicKeyInfo } from "./public-key-info.ts";
import { OID } from "./x509-oids.ts";

async function spkiOf(params: { name: string } & Record<string, unknown>): Promise<Uint8Array> {
  const keys = (await crypto.subtle.generateKey(params as never, true, ["sign", "verify"])) as CryptoKeyPair;
  return new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
}

describe("SubjectPublicKeyInfo", () => {
  test("recognises P-256 and Ed25519 keys as WebCrypto exports them, and their key bits", async () => {
    const p256 = readPublicKeyInfo(await spkiOf({ name: "ECDSA", namedCurve: "P-256" }));
    expect([p256.algorithm, p256.algorithmOid, p256.parameterOid]).toEqual([
      "ecdsa-p256",
      OID.ecPublicKey,
      OID.p256,
    ]);
    expect(p256.publicKey.length).toBe(65); // uncompressed point
    expect(p256.publicKey[0]).toBe(0x04);
    const ed = readPublicKeyInfo(await spkiOf({ name: "Ed25519" }));
    expect([ed.algorithm, ed.algorithmOid, ed.parameterOid, ed.publicKey.length]).toEqual([
      "ed25519",
      OID.ed25519,
      undefined,
      32,
    ]);
  });

  test("other keys are read but not ours: RSA, P-384", async () => {
    const rsa = readPublicKeyInfo(
      await spkiOf({
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: 1024,
        publicExponent: Uint8Array.of(1, 0, 1),
        hash: "SHA-256",
      }),
    );
    expect([rsa.algorithm, rsa.algorithmOid]).toEqual([undefined, "1.2.840.113549.1.1.1"]);
    const p384 = readPublicKeyInfo(await spkiOf({ name: "ECDSA", namedCurve: "P-384" }));
    expect([p384.algorithm, p384.parameterOid]).toEqual([undefined, "1.3.132.0.34"]);
  });

  test("key identifier: SHA-1 of the key bits, as x509 and openssl (subjectKeyIdentifier=hash) compute it", async () => {
    for (const params of [{ name: "ECDSA", namedCurve: "P-256" } as const, { name: "Ed25519" } as const]) {
      const keys = (await crypto.subtle.generateKey(params, true, ["sign", "verify"])) as CryptoKeyPair;
      const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
      const ours = Buffer.from(await keyIdentifier(spki)).toString("hex");
      expect(ours).toMatch(/^[0-9a-f]{40}$/);
      const theirs = Buffer.from(await new x509.PublicKey(spki).getKeyIdentifier()).toString("hex");
      expect(ours).toBe(theirs);
      const made = await opensslWithOutputs(
        [
          "req",
          "-x509",
          "-key",
          "k.pem",
          "-subj",
          "/CN=x",
          "-addext",
          "subjectKeyIdentifier=hash",
          "-out",
          "c.pem",
        ],
        { "k.pem": encodePem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", keys.privateKey)) },
        ["c.pem"],
      );
      expect(made.code).toBe(0);
      const text = await opensslText(made.outputs["c.pem"] as string);
      const ski = extensionText(text, "X509v3 Subject Key Identifier")?.value;
      expect(ski?.replaceAll(":", "").toLowerCase()).toBe(ours);
    }
  });

  test("garbage is a DerError", () => {
    expect(() => readPublicKeyInfo(Uint8Array.of(0x30, 0x00))).toThrow(DerError);
    expect(() => readPublicKeyInfo(Uint8Array.of(0x04, 0x00))).toThrow(DerError);
    expect(() =>
      readPublicKeyInfo(Uint8Array.of(0x30, 0x08, 0x30, 0x03, 0x06, 0x01, 0x2b, 0x03, 0x01, 0x07)),
    ).toThrow("whole bytes");
  });
});
