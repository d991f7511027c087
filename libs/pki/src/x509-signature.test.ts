import { describe, expect, test } from "bun:test";
import { contentOf, readChildren, readTlv } from "./der.ts";
import { generateCryptoKeyPair, signingAlgorithm } from "./key-pair.ts";
import {
  ecdsaSignatureToDer,
  signatureAlgorithmIdentifier,
  signatureOf,
  signStructure,
} from "./x509-signature.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** Ecdsa-Sig-Value back to r || s (32 bytes each), to check a signature with WebCrypto. */
function derToRaw(der: Uint8Array): Uint8Array<ArrayBuffer> {
  const [r, s] = readChildren(der, readTlv(der, 0));
  const out = new Uint8Array(64);
  for (const [i, part] of [r, s].entries()) {
    const bytes = contentOf(der, part as never);
    const trimmed = bytes.length > 32 ? bytes.subarray(bytes.length - 32) : bytes;
    out.set(trimmed, 32 * (i + 1) - trimmed.length);
  }
  return out;
}

describe("x509 signatures", () => {
  test("AlgorithmIdentifiers: ecdsa-with-SHA256 and Ed25519, parameters absent", () => {
    expect(hex(signatureAlgorithmIdentifier("ecdsa-p256"))).toBe("300a06082a8648ce3d040302");
    expect(hex(signatureAlgorithmIdentifier("ed25519"))).toBe("300506032b6570");
  });

  test("raw r||s to Ecdsa-Sig-Value: high bits padded, leading zeros dropped", () => {
    const r = new Uint8Array(32).fill(0x80);
    const s = new Uint8Array(32);
    s[30] = 0x01;
    s[31] = 0x02;
    const der = ecdsaSignatureToDer(Uint8Array.from([...r, ...s]));
    expect(hex(der)).toBe(`3027022100${"80".repeat(32)}02020102`);
    expect(hex(derToRaw(der))).toBe(hex(Uint8Array.from([...r, ...s])));
    expect(() => ecdsaSignatureToDer(new Uint8Array(63))).toThrow(RangeError);
  });

  for (const algorithm of ["ecdsa-p256", "ed25519"] as const) {
    test(`${algorithm}: the signature of a structure verifies over its first element`, async () => {
      const keys = await generateCryptoKeyPair(algorithm);
      const tbs = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x07);
      const signed = await signStructure(tbs, { privateKey: keys.privateKey, algorithm });
      const [first, algorithmId, bits] = readChildren(signed, readTlv(signed, 0));
      expect(hex(contentOf(signed, readTlv(signed, 0)).subarray(0, 5))).toBe(hex(tbs));
      expect(first?.tag).toBe(0x30);
      expect(hex(signed.subarray(algorithmId?.header, algorithmId?.end))).toBe(
        hex(signatureAlgorithmIdentifier(algorithm)),
      );
      const signature = contentOf(signed, bits as never).subarray(1); // after the unused-bits byte
      const raw = algorithm === "ecdsa-p256" ? derToRaw(signature) : new Uint8Array(signature);
      if (algorithm === "ed25519") expect(signature.length).toBe(64);
      expect(await crypto.subtle.verify(signingAlgorithm(algorithm), keys.publicKey, raw, tbs)).toBe(true);
      expect(
        await crypto.subtle.verify(signingAlgorithm(algorithm), keys.publicKey, raw, Uint8Array.of(1)),
      ).toBe(false);
    });
  }

  test("ECDSA signatures are random but always valid DER (r and s lengths vary)", async () => {
    const keys = await generateCryptoKeyPair("ecdsa-p256");
    const data = Uint8Array.of(1, 2, 3);
    const lengths = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const der = await signatureOf(data, { privateKey: keys.privateKey, algorithm: "ecdsa-p256" });
      const top = readTlv(der, 0);
      expect(top.end).toBe(der.length);
      for (const part of readChildren(der, top)) {
        const bytes = contentOf(der, part);
        // minimal: no useless leading zero, never negative
        expect(bytes[0] === 0 ? (bytes[1] as number) & 0x80 : 1).toBeTruthy();
        expect((bytes[0] as number) & 0x80).toBe(0);
      }
      lengths.add(der.length);
      expect(
        await crypto.subtle.verify(signingAlgorithm("ecdsa-p256"), keys.publicKey, derToRaw(der), data),
      ).toBe(true);
    }
    expect(lengths.size).toBeGreaterThan(1); // some r or s had its top bit set (33 bytes) and some did not
  });
});
