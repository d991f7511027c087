import { describe, expect, test } from "bun:test";
import { openssl, opensslWithOutputs } from "../test/openssl.ts";
import { generateKeyPair, loadPrivateKey, signingAlgorithm } from "./key-pair.ts";
import { decodeSinglePem, encodePem } from "./pem.ts";
import { PkiError } from "./pki-error.ts";

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return error instanceof PkiError ? error.code : `not a PkiError: ${error}`;
  }
  return undefined;
}

/** A key made by openssl, written to key.pem. */
async function opensslKey(args: string[]): Promise<string> {
  const result = await opensslWithOutputs(args, {}, ["key.pem"]);
  expect(result.code).toBe(0);
  return result.outputs["key.pem"] as string;
}

describe("generateKeyPair", () => {
  for (const [algorithm, opensslType] of [
    ["ecdsa-p256", "prime256v1"],
    ["ed25519", "ED25519"],
  ] as const) {
    test(`${algorithm}: PKCS#8 + SPKI PEM that openssl reads, public half matching`, async () => {
      const pair = await generateKeyPair(algorithm);
      expect(pair.privateKeyPem).toStartWith("-----BEGIN PRIVATE KEY-----\n");
      expect(pair.publicKeyPem).toStartWith("-----BEGIN PUBLIC KEY-----\n");
      const text = await openssl(["pkey", "-in", "key.pem", "-noout", "-text"], {
        "key.pem": pair.privateKeyPem,
      });
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(opensslType);
      const pub = await openssl(["pkey", "-in", "key.pem", "-pubout"], { "key.pem": pair.privateKeyPem });
      expect(pub.stdout).toBe(pair.publicKeyPem);
    });
  }

  test("defaults to ECDSA P-256 and makes a new key each time", async () => {
    const [a, b] = await Promise.all([generateKeyPair(), generateKeyPair()]);
    expect((await loadPrivateKey(a.privateKeyPem)).algorithm).toBe("ecdsa-p256");
    expect(a.privateKeyPem).not.toBe(b.privateKeyPem);
  });

  test("rejects an unknown algorithm", async () => {
    expect(await codeOf(generateKeyPair("rsa" as never))).toBe("unsupported-algorithm");
  });
});

describe("loadPrivateKey", () => {
  test("derives the right public key (SPKI) and can sign", async () => {
    for (const algorithm of ["ecdsa-p256", "ed25519"] as const) {
      const pair = await generateKeyPair(algorithm);
      const key = await loadPrivateKey(pair.privateKeyPem);
      expect(key.algorithm).toBe(algorithm);
      expect(encodePem("PUBLIC KEY", key.spki)).toBe(pair.publicKeyPem);
      const data = new TextEncoder().encode("hello");
      const signature = await crypto.subtle.sign(signingAlgorithm(algorithm), key.privateKey, data);
      expect(await crypto.subtle.verify(signingAlgorithm(algorithm), key.publicKey, signature, data)).toBe(
        true,
      );
    }
  });

  test("reads openssl's PKCS#8 P-256 and Ed25519 keys and SEC1 'EC PRIVATE KEY'", async () => {
    const p256 = await opensslKey([
      "genpkey",
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-out",
      "key.pem",
    ]);
    const ed = await opensslKey(["genpkey", "-algorithm", "ed25519", "-out", "key.pem"]);
    const sec1 = await opensslKey(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "key.pem"]);
    expect(sec1).toStartWith("-----BEGIN EC PRIVATE KEY-----");
    expect((await loadPrivateKey(p256)).algorithm).toBe("ecdsa-p256");
    expect((await loadPrivateKey(ed)).algorithm).toBe("ed25519");
    const fromSec1 = await loadPrivateKey(sec1);
    expect(fromSec1.algorithm).toBe("ecdsa-p256");
    const pub = await openssl(["ec", "-in", "key.pem", "-pubout"], { "key.pem": sec1 });
    expect(encodePem("PUBLIC KEY", fromSec1.spki)).toBe(pub.stdout);
  });

  test("accepts Talos' 'ED25519 PRIVATE KEY' label (PKCS#8 content)", async () => {
    const pair = await generateKeyPair("ed25519");
    const der = decodeSinglePem(pair.privateKeyPem, ["PRIVATE KEY"], "key").der;
    const key = await loadPrivateKey(encodePem("ED25519 PRIVATE KEY", der));
    expect(encodePem("PUBLIC KEY", key.spki)).toBe(pair.publicKeyPem);
  });

  test("rejects other curves, RSA, certificates and garbage with typed errors naming the key", async () => {
    const p384 = await opensslKey([
      "genpkey",
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:P-384",
      "-out",
      "key.pem",
    ]);
    const p384Sec1 = await opensslKey([
      "ecparam",
      "-name",
      "secp384r1",
      "-genkey",
      "-noout",
      "-out",
      "key.pem",
    ]);
    const rsa = await opensslKey([
      "genpkey",
      "-algorithm",
      "RSA",
      "-pkeyopt",
      "rsa_keygen_bits:1024",
      "-out",
      "key.pem",
    ]);
    expect(await codeOf(loadPrivateKey(p384))).toBe("unsupported-algorithm");
    expect(await codeOf(loadPrivateKey(p384Sec1))).toBe("unsupported-algorithm");
    expect(await codeOf(loadPrivateKey(rsa))).toBe("unsupported-algorithm");
    expect(await codeOf(loadPrivateKey("not a key"))).toBe("invalid-pem");
    expect(await codeOf(loadPrivateKey(encodePem("PRIVATE KEY", Uint8Array.of(1, 2, 3))))).toBe(
      "invalid-key",
    );
    await expect(loadPrivateKey(encodePem("CERTIFICATE", Uint8Array.of(1)), "certs.os.key")).rejects.toThrow(
      'certs.os.key: PEM block is "CERTIFICATE"',
    );
  });
});
