import { describe, expect, test } from "bun:test";
import { openssl } from "../test/openssl.ts";
import { createCSR } from "./csr.ts";
import { generateKeyPair } from "./key-pair.ts";
import { PkiError } from "./pki-error.ts";

describe("createCSR", () => {
  for (const algorithm of ["ecdsa-p256", "ed25519"] as const) {
    test(`${algorithm}: openssl verifies the request and sees subject and SANs`, async () => {
      const { privateKeyPem, publicKeyPem } = await generateKeyPair(algorithm);
      const csr = await createCSR({
        privateKeyPem,
        commonName: "worker-1",
        organizations: ["os:admin"],
        dnsNames: ["worker-1.local"],
        ipAddresses: ["10.5.0.3"],
      });
      expect(csr).toStartWith("-----BEGIN CERTIFICATE REQUEST-----\n");
      const result = await openssl(["req", "-in", "csr.pem", "-verify", "-noout", "-text"], {
        "csr.pem": csr,
      });
      expect(result.code).toBe(0);
      expect(result.stdout + result.stderr).toContain("verify OK");
      expect(result.stdout).toContain("Subject: O = os:admin, CN = worker-1");
      expect(result.stdout).toContain("DNS:worker-1.local, IP Address:10.5.0.3");
      const pub = await openssl(["req", "-in", "csr.pem", "-noout", "-pubkey"], { "csr.pem": csr });
      expect(pub.stdout).toBe(publicKeyPem);
    });
  }

  test("no SAN extension when there are no SANs", async () => {
    const csr = await createCSR({ privateKeyPem: (await generateKeyPair()).privateKeyPem, commonName: "x" });
    const result = await openssl(["req", "-in", "csr.pem", "-noout", "-text"], { "csr.pem": csr });
    expect(result.stdout).toContain("Subject: CN = x");
    expect(result.stdout).not.toContain("Subject Alternative Name");
  });

  test("bad key or names are typed errors", async () => {
    await expect(createCSR({ privateKeyPem: "nope", commonName: "x" })).rejects.toBeInstanceOf(PkiError);
    await expect(createCSR({ privateKeyPem: "nope", commonName: "x" })).rejects.toThrow(
      "privateKeyPem: no PEM block",
    );
    const key = (await generateKeyPair()).privateKeyPem;
    await expect(createCSR({ privateKeyPem: key, commonName: "" })).rejects.toThrow("commonName");
    await expect(createCSR({ privateKeyPem: key, commonName: "x", ipAddresses: ["nope"] })).rejects.toThrow(
      "ipAddresses[0]",
    );
  });
});
