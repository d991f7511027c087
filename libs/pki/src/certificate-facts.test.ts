import { describe, expect, test } from "bun:test";
import { opensslWithOutputs } from "../test/openssl.ts";
import { generateCA } from "./certificate-authority.ts";
import { readCertificateFacts } from "./certificate-facts.ts";
import { issueClientCertificate } from "./client-certificate.ts";
import { inspectCertificate } from "./inspect-certificate.ts";
import { issueCertificate } from "./issue-certificate.ts";
import { decodeSinglePem } from "./pem.ts";
import { PkiError } from "./pki-error.ts";

/** What readCertificateFacts reads, as @peculiar/x509 (inspectCertificate) reads it. */
function factsByX509(pem: string) {
  const info = inspectCertificate(pem);
  return {
    subject: info.subject,
    commonName: info.commonName,
    organizations: info.organizations,
    serialNumber: info.serialNumber,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    extendedKeyUsages: info.extendedKeyUsages,
    fingerprintSha256: info.fingerprintSha256,
  };
}

/** A self-signed certificate openssl makes with these arguments. */
async function opensslCertificate(...args: string[]): Promise<string> {
  const made = await opensslWithOutputs(
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      "k.pem",
      "-out",
      "c.pem",
      ...args,
    ],
    {},
    ["c.pem"],
  );
  if (made.code !== 0) throw new Error(made.stderr);
  return made.outputs["c.pem"] as string;
}

describe("readCertificateFacts", () => {
  test("reads what @peculiar/x509 reads, from certificates we issue", async () => {
    const ca = await generateCA({ commonName: "bronze" });
    const certificates = [
      ca.crt,
      (await issueClientCertificate(ca, { role: "os:admin", commonName: "admin" })).crt,
      (await issueClientCertificate(ca, { role: "os:reader", commonName: 'odd, "name"+=<x>' })).crt,
      (
        await issueCertificate({
          ca,
          commonName: "node-1",
          organizations: ["os:admin", "extra"],
          usage: "both",
          dnsNames: ["a.local"],
          ipAddresses: ["10.5.0.2", "::1"],
        })
      ).crt,
      (await issueCertificate({ ca, commonName: "server", usage: "server", validityDays: 1 })).crt,
    ];
    for (const pem of certificates) {
      expect(readCertificateFacts(pem)).toEqual(factsByX509(pem));
      expect(readCertificateFacts(decodeSinglePem(pem, ["CERTIFICATE"], "c").der)).toEqual(factsByX509(pem));
    }
  });

  test("reads certificates openssl made: GeneralizedTime past 2049, UTCTime, other purposes", async () => {
    const far = await opensslCertificate(
      "-days",
      "20000",
      "-subj",
      "/O=a/O=b/CN=far",
      "-addext",
      "extendedKeyUsage=codeSigning,1.2.3.4",
    );
    const facts = readCertificateFacts(far);
    expect(facts).toEqual(factsByX509(far));
    expect(facts.notAfter.getUTCFullYear()).toBeGreaterThan(2049);
    expect(facts.extendedKeyUsages).toEqual(["codeSigning", "1.2.3.4"]);
    expect(facts.organizations).toEqual(["a", "b"]);
    const near = await opensslCertificate("-days", "2", "-subj", "/CN=near");
    expect(readCertificateFacts(near)).toEqual(factsByX509(near));
    expect(readCertificateFacts(near).extendedKeyUsages).toEqual([]);
  });

  test("what is not a certificate is refused, naming it", () => {
    expect(() => readCertificateFacts("nope", "apid's server.crt")).toThrow(PkiError);
    expect(() => readCertificateFacts("nope", "apid's server.crt")).toThrow(
      "apid's server.crt: no PEM block found",
    );
    const bad = "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";
    expect(() => readCertificateFacts(bad)).toThrow("certificate: not a valid X.509 certificate");
    expect(() => readCertificateFacts(new Uint8Array([0x30, 0x00]))).toThrow(PkiError);
  });
});
