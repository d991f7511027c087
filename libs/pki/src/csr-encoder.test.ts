import { describe, expect, test } from "bun:test";
import { openssl } from "../test/openssl.ts";
import { x509 } from "./crypto-provider.ts";
import { encodeCertificationRequest, encodeCertificationRequestInfo } from "./csr-encoder.ts";
import { generateCryptoKeyPair } from "./key-pair.ts";
import { encodePem } from "./pem.ts";
import { subjectAltNameExtension } from "./subject-alt-names.ts";
import { encodeName } from "./x509-name.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

async function keyFor(algorithm: "ecdsa-p256" | "ed25519") {
  const keys = await generateCryptoKeyPair(algorithm);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  return { spki, signer: { privateKey: keys.privateKey, algorithm } };
}

describe("CSR encoder", () => {
  test("CertificationRequestInfo: version 0, subject, key, and an empty [0] when nothing is requested", () => {
    const subject = encodeName([{ CN: ["x"] }]);
    const spki = Uint8Array.of(0x30, 0x00);
    expect(hex(encodeCertificationRequestInfo({ subject, subjectPublicKeyInfo: spki, extensions: [] }))).toBe(
      `3015020100${hex(subject)}3000a000`,
    );
  });

  for (const algorithm of ["ecdsa-p256", "ed25519"] as const) {
    test(`${algorithm}: openssl and x509 verify the request and read subject and requested SANs`, async () => {
      const { spki, signer } = await keyFor(algorithm);
      const san = subjectAltNameExtension({ dnsNames: ["w.local"], ipAddresses: ["10.5.0.3", "fd00::7"] });
      const der = await encodeCertificationRequest(
        {
          subject: encodeName([{ O: ["os:reader"] }, { CN: ["worker-1"] }]),
          subjectPublicKeyInfo: spki,
          extensions: san ? [san] : [],
        },
        signer,
      );
      const pem = encodePem("CERTIFICATE REQUEST", der);
      const result = await openssl(["req", "-in", "csr.pem", "-verify", "-noout", "-text"], {
        "csr.pem": pem,
      });
      expect(result.code).toBe(0);
      expect(result.stdout + result.stderr).toContain("verify OK");
      expect(result.stdout).toContain("Subject: O = os:reader, CN = worker-1");
      expect(result.stdout).toContain("Requested Extensions:");
      expect(result.stdout).toContain("DNS:w.local, IP Address:10.5.0.3, IP Address:FD00:0:0:0:0:0:0:7");

      const csr = new x509.Pkcs10CertificateRequest(der);
      expect(await csr.verify()).toBe(true);
      expect(csr.subject).toBe("O=os:reader, CN=worker-1");
      expect(new Uint8Array(csr.publicKey.rawData)).toEqual(spki);
      const requested = csr.getExtension("2.5.29.17");
      const names = requested && new x509.GeneralNames(requested.value).toJSON();
      expect(names).toEqual([
        { type: "dns", value: "w.local" },
        { type: "ip", value: "10.5.0.3" },
        { type: "ip", value: "fd00::7" },
      ]);
    });
  }

  test("a request signed by another key does not verify", async () => {
    const { spki } = await keyFor("ecdsa-p256");
    const { signer: other } = await keyFor("ecdsa-p256");
    const der = await encodeCertificationRequest(
      { subject: encodeName([{ CN: ["x"] }]), subjectPublicKeyInfo: spki, extensions: [] },
      other,
    );
    expect(await new x509.Pkcs10CertificateRequest(der).verify()).toBe(false);
    const result = await openssl(["req", "-in", "csr.pem", "-verify", "-noout"], {
      "csr.pem": encodePem("CERTIFICATE REQUEST", der),
    });
    expect(result.stdout + result.stderr).toContain("verify failure"); // openssl 3.0 still exits 0 here
  });
});
