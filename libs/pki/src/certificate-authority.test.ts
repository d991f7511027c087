import { describe, expect, test } from "bun:test";
import { extensionText, opensslText, opensslVerify, opensslWithOutputs } from "../test/openssl.ts";
import { generateCA, loadCertificateAuthority, readCaCertificate } from "./certificate-authority.ts";
import { inspectCertificate } from "./inspect-certificate.ts";
import { issueCertificate } from "./issue-certificate.ts";
import { generateKeyPair } from "./key-pair.ts";
import { encodePem } from "./pem.ts";
import { PkiError } from "./pki-error.ts";

const DAY = 86_400_000;

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return error instanceof PkiError ? error.code : `not a PkiError: ${error}`;
  }
  return undefined;
}

describe("generateCA", () => {
  for (const algorithm of ["ecdsa-p256", "ed25519"] as const) {
    test(`${algorithm}: self-signed CA that openssl accepts, CA:TRUE critical, keyCertSign+cRLSign+digitalSignature, SKI`, async () => {
      const ca = await generateCA({ commonName: "bronze", organization: "Bronze Inc", algorithm });
      expect(ca.key).toStartWith("-----BEGIN PRIVATE KEY-----");
      const verify = await opensslVerify(ca.crt, ca.crt);
      expect(verify.stdout.trim()).toBe("cert.pem: OK");
      expect(verify.code).toBe(0);

      const text = await opensslText(ca.crt);
      expect(text).toContain("Subject: O = Bronze Inc, CN = bronze");
      expect(text).toContain("Issuer: O = Bronze Inc, CN = bronze");
      expect(text).toContain(
        algorithm === "ed25519" ? "Signature Algorithm: ED25519" : "Signature Algorithm: ecdsa-with-SHA256",
      );
      expect(extensionText(text, "X509v3 Basic Constraints")).toEqual({ critical: true, value: "CA:TRUE" });
      expect(extensionText(text, "X509v3 Key Usage")).toEqual({
        critical: true,
        value: "Digital Signature, Certificate Sign, CRL Sign",
      });
      expect(extensionText(text, "X509v3 Subject Key Identifier")?.value).toMatch(
        /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/,
      );

      const info = inspectCertificate(ca.crt);
      expect(info.isCA).toBe(true);
      expect(info.commonName).toBe("bronze");
      expect(info.organizations).toEqual(["Bronze Inc"]);
      expect(info.keyUsages.sort()).toEqual(["cRLSign", "digitalSignature", "keyCertSign"]);
      expect(info.extendedKeyUsages).toEqual([]);
      expect(info.publicKeyAlgorithm).toBe(algorithm);
    });
  }

  test("valid for 10 years by default, from a minute before `now`", async () => {
    const now = new Date("2031-05-06T07:08:09Z");
    const info = inspectCertificate((await generateCA({ commonName: "bronze", now })).crt);
    expect(info.notBefore.toISOString()).toBe("2031-05-06T07:07:09.000Z");
    expect(info.notAfter.getTime() - now.getTime()).toBe(3650 * DAY);
    const short = inspectCertificate((await generateCA({ commonName: "x", now, validityDays: 2 })).crt);
    expect(short.notAfter.getTime() - now.getTime()).toBe(2 * DAY);
    expect(short.organizations).toEqual([]);
  });

  test("rejects an empty common name", async () => {
    expect(await codeOf(generateCA({ commonName: "" }))).toBe("invalid-argument");
  });
});

describe("loadCertificateAuthority", () => {
  test("loads a matching CA, refuses a mismatched key and a non-CA certificate", async () => {
    const ca = await generateCA({ commonName: "bronze" });
    const loaded = await loadCertificateAuthority(ca);
    expect(loaded.key.algorithm).toBe("ecdsa-p256");
    expect(loaded.certificate.subject).toBe("CN=bronze");

    const otherKey = (await generateKeyPair()).privateKeyPem;
    expect(await codeOf(loadCertificateAuthority({ crt: ca.crt, key: otherKey }))).toBe("key-mismatch");
    await expect(loadCertificateAuthority({ crt: ca.crt, key: otherKey }, "certs.os")).rejects.toThrow(
      "certs.os: the private key does not match",
    );

    const leaf = await issueCertificate({ ca, commonName: "leaf", usage: "server" });
    expect(await codeOf(loadCertificateAuthority(leaf))).toBe("not-a-ca");
    expect(await codeOf(loadCertificateAuthority({ crt: "garbage", key: ca.key }))).toBe("invalid-pem");
  });
});

/** A CA made by openssl: `openssl req -x509` with the given key type and extensions. */
async function opensslCa(keyArgs: string[], addext: string[]): Promise<{ crt: string; key: string }> {
  const args = [
    "req",
    "-x509",
    ...keyArgs,
    "-nodes",
    "-keyout",
    "k.pem",
    "-out",
    "c.pem",
    "-subj",
    "/O=Acme/CN=imported",
  ];
  for (const ext of addext) args.push("-addext", ext);
  const made = await opensslWithOutputs(args, {}, ["c.pem", "k.pem"]);
  expect(made.code).toBe(0);
  return { crt: made.outputs["c.pem"] as string, key: made.outputs["k.pem"] as string };
}

describe("CAs we did not make", () => {
  test("readCaCertificate reads an openssl CA's facts as x509 does", async () => {
    const rsa = await opensslCa(["-newkey", "rsa:1024"], ["keyUsage=critical,keyCertSign"]);
    const read = readCaCertificate(rsa.crt);
    expect(read.subject).toBe("O=Acme, CN=imported");
    expect(read.isCA).toBe(true);
    expect(read.keyUsage).toBe(32);
    expect(read.subjectKeyIdentifier?.length).toBe(20);
    const noCa = await opensslCa(["-newkey", "ed25519"], ["basicConstraints=critical,CA:FALSE"]);
    expect(readCaCertificate(noCa.crt).isCA).toBe(false);
    expect(await codeOf(loadCertificateAuthority(noCa))).toBe("not-a-ca");
  });

  test("a CA without subjectKeyIdentifier: the AKI of what it issues is computed from its key", async () => {
    const ca = await opensslCa(
      ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
      [
        "subjectKeyIdentifier=none",
        "authorityKeyIdentifier=none",
        "keyUsage=critical,keyCertSign,digitalSignature",
      ],
    );
    expect(extensionText(await opensslText(ca.crt), "X509v3 Subject Key Identifier")).toBeUndefined();
    const loaded = await loadCertificateAuthority(ca);
    expect(loaded.certificate.subjectKeyIdentifier).toBeUndefined();
    const leaf = await issueCertificate({ ca, commonName: "leaf", usage: "client" });
    expect((await opensslVerify(ca.crt, leaf.crt)).stdout.trim()).toBe("cert.pem: OK");
    const aki = extensionText(await opensslText(leaf.crt), "X509v3 Authority Key Identifier")?.value;
    const computed = Buffer.from(loaded.keyIdentifier)
      .toString("hex")
      .toUpperCase()
      .replace(/(..)(?!$)/g, "$1:");
    expect(aki?.replace(/^keyid:/, "")).toBe(computed);
    expect(inspectCertificate(leaf.crt).issuer).toBe("O=Acme, CN=imported");
  });

  test("certificates that are not DER certificates are invalid-certificate, naming the field", () => {
    const garbage = encodePem("CERTIFICATE", Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00));
    try {
      readCaCertificate(garbage, "certs.os.crt");
      throw new Error("should have failed");
    } catch (error) {
      expect((error as PkiError).code).toBe("invalid-certificate");
      expect((error as PkiError).message).toStartWith("certs.os.crt: not a valid X.509 certificate (");
    }
  });
});
