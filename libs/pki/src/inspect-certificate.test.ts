import { describe, expect, test } from "bun:test";
import { openssl, opensslWithOutputs } from "../test/openssl.ts";
import { generateCA } from "./certificate-authority.ts";
import { inspectCertificate, keyUsageNames, sha256Fingerprint } from "./inspect-certificate.ts";
import { issueCertificate } from "./issue-certificate.ts";
import { PkiError } from "./pki-error.ts";

/** `openssl x509 -noout <flag>` value after the `=`. */
async function opensslField(pem: string, flag: string): Promise<string> {
  const result = await openssl(["x509", "-noout", flag, "-in", "c.pem"], { "c.pem": pem });
  return result.stdout.trim().replace(/^[^=]*=/, "");
}

describe("inspectCertificate", () => {
  test("agrees with openssl on fingerprint, serial, dates, subject and issuer", async () => {
    const ca = await generateCA({ commonName: "bronze" });
    const leaf = await issueCertificate({
      ca,
      commonName: "admin",
      organizations: ["os:admin", "extra"],
      usage: "both",
      dnsNames: ["a.local"],
      ipAddresses: ["::1"],
    });
    const info = inspectCertificate(leaf.crt);
    const sha256 = await openssl(["x509", "-noout", "-fingerprint", "-sha256", "-in", "c.pem"], {
      "c.pem": leaf.crt,
    });
    expect(info.fingerprintSha256).toBe(
      sha256.stdout.trim().replace(/^.*=/, "").replaceAll(":", "").toLowerCase(),
    );
    expect(info.fingerprintSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(info.serialNumber).toBe((await opensslField(leaf.crt, "-serial")).toLowerCase());
    expect(info.notBefore.getTime()).toBe(new Date(await opensslField(leaf.crt, "-startdate")).getTime());
    expect(info.notAfter.getTime()).toBe(new Date(await opensslField(leaf.crt, "-enddate")).getTime());
    expect(info.subject).toBe("O=os:admin+O=extra, CN=admin");
    expect(info.commonName).toBe("admin");
    expect(info.organizations).toEqual(["os:admin", "extra"]);
    expect(info.issuer).toBe("CN=bronze");
    expect(info.isCA).toBe(false);
    expect(info.keyUsages).toEqual(["digitalSignature", "keyEncipherment"]);
    expect(info.extendedKeyUsages).toEqual(["serverAuth", "clientAuth"]);
    expect(info.dnsNames).toEqual(["a.local"]);
    expect(info.ipAddresses).toEqual(["::1"]);
    expect(info.publicKeyAlgorithm).toBe("ecdsa-p256");
  });

  test("reads certificates it did not make (openssl RSA, unusual EKU)", async () => {
    const made = await opensslWithOutputs(
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:1024",
        "-nodes",
        "-keyout",
        "k.pem",
        "-out",
        "c.pem",
        "-days",
        "2",
        "-subj",
        "/C=FR/O=Acme/CN=legacy",
        "-addext",
        "extendedKeyUsage=codeSigning,1.2.3.4",
      ],
      {},
      ["c.pem"],
    );
    expect(made.code).toBe(0);
    const info = inspectCertificate(made.outputs["c.pem"] as string);
    expect(info.commonName).toBe("legacy");
    expect(info.organizations).toEqual(["Acme"]);
    expect(info.isCA).toBe(true); // openssl req -x509 marks CA:TRUE by default
    expect(info.extendedKeyUsages).toEqual(["codeSigning", "1.2.3.4"]);
    expect(info.publicKeyAlgorithm).toBe("RSASSA-PKCS1-v1_5");
  });

  test("helpers: key usage names and fingerprints", () => {
    expect(keyUsageNames(1 | 32 | 64)).toEqual(["digitalSignature", "keyCertSign", "cRLSign"]);
    expect(sha256Fingerprint(new TextEncoder().encode("abc"))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  test("unreadable input: typed errors", () => {
    expect(() => inspectCertificate("nope")).toThrow(PkiError);
    try {
      inspectCertificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
      throw new Error("should have failed");
    } catch (error) {
      expect((error as PkiError).code).toBe("invalid-certificate");
    }
  });
});
