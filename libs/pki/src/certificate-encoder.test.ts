import { beforeAll, describe, expect, test } from "bun:test";
import { extensionText, openssl, opensslText, opensslVerify } from "../test/openssl.ts";
import { type CertificateFields, encodeCertificate, encodeTbsCertificate } from "./certificate-encoder.ts";
import { readCertificate } from "./certificate-reader.ts";
import { x509 } from "./crypto-provider.ts";
import { inspectCertificate } from "./inspect-certificate.ts";
import { generateCryptoKeyPair } from "./key-pair.ts";
import { encodePem } from "./pem.ts";
import { keyIdentifier } from "./public-key-info.ts";
import { subjectAltNameExtension } from "./subject-alt-names.ts";
import {
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  extendedKeyUsageExtension,
  keyUsageExtension,
  subjectKeyIdentifierExtension,
} from "./x509-extensions.ts";
import { encodeName } from "./x509-name.ts";
import { EXTENDED_KEY_USAGE, KEY_USAGE } from "./x509-oids.ts";
import type { Signer } from "./x509-signature.ts";

const colonHex = (bytes: Uint8Array) =>
  Buffer.from(bytes)
    .toString("hex")
    .toUpperCase()
    .replace(/(..)(?!$)/g, "$1:");

let caPem: string;
let caSigner: Signer;
let caKeyId: Uint8Array;
const caName = encodeName([{ O: ["Bronze Inc"] }, { CN: ["test-ca"] }]);

beforeAll(async () => {
  const keys = await generateCryptoKeyPair("ecdsa-p256");
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  caKeyId = await keyIdentifier(spki);
  caSigner = { privateKey: keys.privateKey, algorithm: "ecdsa-p256" };
  const der = await encodeCertificate(
    {
      serialNumber: "01",
      issuer: caName,
      subject: caName,
      notBefore: new Date("2020-01-01T00:00:00Z"),
      notAfter: new Date("2060-01-01T00:00:00Z"),
      subjectPublicKeyInfo: spki,
      extensions: [
        basicConstraintsExtension(true),
        keyUsageExtension(KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign),
        subjectKeyIdentifierExtension(caKeyId),
      ],
    },
    caSigner,
  );
  caPem = encodePem("CERTIFICATE", der);
});

async function leafFields(overrides: Partial<CertificateFields> = {}): Promise<CertificateFields> {
  const keys = await generateCryptoKeyPair("ecdsa-p256");
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  return {
    serialNumber: "0102030405060708090a0b0c0d0e0f10",
    issuer: caName,
    subject: encodeName([{ O: ["os:admin", "extra"] }, { CN: ["node-1"] }]),
    notBefore: new Date("2030-01-02T03:04:05Z"),
    notAfter: new Date("2050-06-07T08:09:10Z"),
    subjectPublicKeyInfo: spki,
    extensions: [
      basicConstraintsExtension(false),
      keyUsageExtension(KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment),
      extendedKeyUsageExtension([EXTENDED_KEY_USAGE.serverAuth, EXTENDED_KEY_USAGE.clientAuth]),
      subjectKeyIdentifierExtension(await keyIdentifier(spki)),
      authorityKeyIdentifierExtension(caKeyId),
      subjectAltNameExtension({
        dnsNames: ["node-1.local", "*.cluster.local"],
        ipAddresses: ["10.0.0.1", "fd00::1", "::ffff:1.2.3.4"],
      }) as never,
    ],
    ...overrides,
  };
}

describe("certificate encoder", () => {
  test("openssl and @peculiar/x509 read the same subject, issuer, serial, validity, extensions", async () => {
    const fields = await leafFields();
    const pem = encodePem("CERTIFICATE", await encodeCertificate(fields, caSigner));
    const text = await opensslText(pem);
    const skiHex = colonHex(await keyIdentifier(fields.subjectPublicKeyInfo));

    expect(text).toContain("Version: 3 (0x2)");
    expect(text).toContain("01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10");
    expect(text).toContain("Signature Algorithm: ecdsa-with-SHA256");
    expect(text).toContain("Issuer: O = Bronze Inc, CN = test-ca");
    expect(text).toContain("Subject: O = os:admin + O = extra, CN = node-1");
    expect(text).toContain("Not Before: Jan  2 03:04:05 2030 GMT");
    expect(text).toContain("Not After : Jun  7 08:09:10 2050 GMT");
    expect(extensionText(text, "X509v3 Basic Constraints")).toEqual({ critical: true, value: "CA:FALSE" });
    expect(extensionText(text, "X509v3 Key Usage")).toEqual({
      critical: true,
      value: "Digital Signature, Key Encipherment",
    });
    expect(extensionText(text, "X509v3 Extended Key Usage")).toEqual({
      critical: false,
      value: "TLS Web Server Authentication, TLS Web Client Authentication",
    });
    expect(extensionText(text, "X509v3 Subject Key Identifier")).toEqual({ critical: false, value: skiHex });
    expect(extensionText(text, "X509v3 Authority Key Identifier")?.value.replace(/^keyid:/, "")).toBe(
      colonHex(caKeyId),
    );
    expect(extensionText(text, "X509v3 Subject Alternative Name")).toEqual({
      critical: false,
      value:
        "DNS:node-1.local, DNS:*.cluster.local, IP Address:10.0.0.1, IP Address:FD00:0:0:0:0:0:0:1, IP Address:0:0:0:0:0:FFFF:102:304",
    });

    const info = inspectCertificate(pem);
    expect(info.subject).toBe("O=os:admin+O=extra, CN=node-1");
    expect(info.issuer).toBe("O=Bronze Inc, CN=test-ca");
    expect(info.serialNumber).toBe(fields.serialNumber);
    expect(info.notBefore.toISOString()).toBe("2030-01-02T03:04:05.000Z");
    expect(info.notAfter.toISOString()).toBe("2050-06-07T08:09:10.000Z");
    expect(info.isCA).toBe(false);
    expect(info.keyUsages).toEqual(["digitalSignature", "keyEncipherment"]);
    expect(info.extendedKeyUsages).toEqual(["serverAuth", "clientAuth"]);
    expect(info.dnsNames).toEqual(["node-1.local", "*.cluster.local"]);
    expect(info.ipAddresses).toEqual(["10.0.0.1", "fd00::1", "::ffff:102:304"]);
    expect(info.publicKeyAlgorithm).toBe("ecdsa-p256");

    const certificate = new x509.X509Certificate(pem);
    expect(certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId.toUpperCase()).toBe(
      skiHex.replaceAll(":", ""),
    );
    expect(
      await certificate.verify({ publicKey: new x509.X509Certificate(caPem).publicKey, signatureOnly: true }),
    ).toBe(true);
    const verify = await opensslVerify(caPem, pem, { atTime: new Date("2031-01-01T00:00:00Z") });
    expect(verify.stdout.trim()).toBe("cert.pem: OK");
  });

  test("the reader gets back exactly the fields that were encoded", async () => {
    const fields = await leafFields();
    const der = await encodeCertificate(fields, caSigner);
    const read = readCertificate(der);
    expect(read.issuer).toEqual(fields.issuer);
    expect(read.subject).toEqual(fields.subject);
    expect(read.subjectPublicKeyInfo).toEqual(fields.subjectPublicKeyInfo);
    expect(read.extensions).toEqual(fields.extensions.map((e) => ({ ...e, value: new Uint8Array(e.value) })));
    expect(Buffer.from(read.serialNumber).toString("hex")).toBe(fields.serialNumber);
    expect(read.tbs).toEqual(encodeTbsCertificate(fields, "ecdsa-p256"));
  });

  test("validity: UTCTime through 2049, GeneralizedTime from 2050, read back the same by openssl and x509", async () => {
    for (const [notAfter, type] of [
      ["2049-12-31T23:59:59.000Z", "UTCTIME"],
      ["2050-01-01T00:00:00.000Z", "GENERALIZEDTIME"],
      ["9999-12-31T23:59:59.000Z", "GENERALIZEDTIME"],
    ] as const) {
      const pem = encodePem(
        "CERTIFICATE",
        await encodeCertificate(await leafFields({ notAfter: new Date(notAfter) }), caSigner),
      );
      const parsed = await openssl(["asn1parse", "-in", "c.pem"], { "c.pem": pem });
      const times = parsed.stdout.split("\n").filter((line) => /TIME/.test(line));
      expect(times.map((line) => line.match(/(UTCTIME|GENERALIZEDTIME)/)?.[1])).toEqual(["UTCTIME", type]);
      const end = await openssl(["x509", "-noout", "-enddate", "-in", "c.pem"], { "c.pem": pem });
      expect(new Date(end.stdout.trim().replace(/^notAfter=/, "")).toISOString()).toBe(notAfter);
      expect(inspectCertificate(pem).notAfter.toISOString()).toBe(notAfter);
    }
  });

  test("serial numbers with the top bit set get a 0x00 pad and stay positive", async () => {
    const pem = encodePem(
      "CERTIFICATE",
      await encodeCertificate(
        await leafFields({ serialNumber: "80000000000000000000000000000001" }),
        caSigner,
      ),
    );
    const serial = await openssl(["x509", "-noout", "-serial", "-in", "c.pem"], { "c.pem": pem });
    expect(serial.stdout.trim()).toBe("serial=80000000000000000000000000000001");
    expect(() => encodeTbsCertificate({ ...fields0(), serialNumber: "xyz" }, "ed25519")).toThrow(RangeError);
    expect(() => encodeTbsCertificate({ ...fields0(), serialNumber: "00".repeat(21) }, "ed25519")).toThrow(
      RangeError,
    );
  });

  test("Ed25519 signer, no extensions: a v3 certificate without the [3] wrapper that openssl verifies", async () => {
    const keys = await generateCryptoKeyPair("ed25519");
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
    const name = encodeName([{ CN: ["self"] }]);
    const der = await encodeCertificate(
      { ...fields0(), issuer: name, subject: name, subjectPublicKeyInfo: spki },
      { privateKey: keys.privateKey, algorithm: "ed25519" },
    );
    expect(readCertificate(der).extensions).toEqual([]);
    const pem = encodePem("CERTIFICATE", der);
    const text = await opensslText(pem);
    expect(text).toContain("Signature Algorithm: ED25519");
    expect(text).not.toContain("X509v3 extensions");
    expect(await new x509.X509Certificate(pem).verify({ signatureOnly: true })).toBe(true);
  });
});

function fields0(): CertificateFields {
  return {
    serialNumber: "01",
    issuer: caName,
    subject: caName,
    notBefore: new Date("2030-01-01T00:00:00Z"),
    notAfter: new Date("2031-01-01T00:00:00Z"),
    subjectPublicKeyInfo: new Uint8Array(0),
    extensions: [],
  };
}
