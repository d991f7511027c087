import { describe, expect, test } from "bun:test";
import { opensslWithOutputs } from "../test/openssl.ts";
import { findExtension, readCertificate } from "./certificate-reader.ts";
import { x509 } from "./crypto-provider.ts";
import { DerError } from "./der.ts";
import { derBitString, derContextConstructed, derInteger, derSequence, derTime } from "./der-writer.ts";
import { decodeSinglePem } from "./pem.ts";
import { readBasicConstraints, readKeyUsage } from "./x509-extensions.ts";
import { encodeName } from "./x509-name.ts";
import { OID } from "./x509-oids.ts";

async function opensslCertificate(extra: string[]): Promise<Uint8Array> {
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
      "-subj",
      "/O=Acme/CN=rsa",
      ...extra,
    ],
    {},
    ["c.pem"],
  );
  expect(made.code).toBe(0);
  return decodeSinglePem(made.outputs["c.pem"] as string, ["CERTIFICATE"], "c.pem").der;
}

describe("certificate reader", () => {
  test("reads a certificate openssl made (RSA, v3) the way x509 does", async () => {
    const der = await opensslCertificate(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    const read = readCertificate(der);
    const certificate = new x509.X509Certificate(der);
    expect(read.subject).toEqual(new Uint8Array(certificate.subjectName.toArrayBuffer()));
    expect(read.issuer).toEqual(new Uint8Array(certificate.issuerName.toArrayBuffer()));
    expect(read.subjectPublicKeyInfo).toEqual(new Uint8Array(certificate.publicKey.rawData));
    expect(Buffer.from(read.serialNumber).toString("hex")).toBe(certificate.serialNumber.toLowerCase());
    expect(read.extensions.map((e) => e.oid).sort()).toEqual(
      certificate.extensions.map((e) => e.type).sort(),
    );
    const keyUsage = findExtension(read, OID.keyUsage);
    expect(keyUsage?.critical).toBe(true);
    expect(readKeyUsage(keyUsage?.value as Uint8Array)).toBe(32 | 64);
    expect(readBasicConstraints(findExtension(read, OID.basicConstraints)?.value as Uint8Array).ca).toBe(
      true,
    );
    expect(findExtension(read, "1.2.3.4")).toBeUndefined();
  });

  test("a v1 certificate (no version, no extensions) is read too", () => {
    const name = encodeName([{ CN: ["v1"] }]);
    const spki = derSequence(derSequence(), derBitString(Uint8Array.of(1)));
    const tbs = derSequence(
      derInteger(5),
      derSequence(),
      name,
      derSequence(derTime(new Date(0)), derTime(new Date(1e12))),
      name,
      spki,
    );
    const read = readCertificate(derSequence(tbs, derSequence(), derBitString(new Uint8Array(4))));
    expect(read.extensions).toEqual([]);
    expect(read.subject).toEqual(name);
    expect([...read.serialNumber]).toEqual([5]);
  });

  test("garbage, truncation, trailing bytes and misplaced fields are DerErrors", async () => {
    const der = await opensslCertificate([]);
    expect(() => readCertificate(der.subarray(0, der.length - 1))).toThrow(DerError);
    const trailing = new Uint8Array(der.length + 1);
    trailing.set(der);
    expect(() => readCertificate(trailing)).toThrow(DerError);
    expect(() => readCertificate(Uint8Array.of(0x30, 0x00))).toThrow(DerError);
    expect(() => readCertificate(Uint8Array.of(0x04, 0x00))).toThrow(DerError);
    const name = encodeName([{ CN: ["x"] }]);
    const validity = derSequence(derTime(new Date(0)), derTime(new Date(1e12)));
    const noSubject = derSequence(derInteger(1), derSequence(), name, validity);
    expect(() =>
      readCertificate(derSequence(noSubject, derSequence(), derBitString(new Uint8Array(1)))),
    ).toThrow("subject is missing");
    const badExtensions = derSequence(
      derContextConstructed(0, derInteger(2)),
      derInteger(1),
      derSequence(),
      name,
      validity,
      name,
      derSequence(),
      derContextConstructed(3, derSequence(derSequence(derInteger(1)))),
    );
    expect(() =>
      readCertificate(derSequence(badExtensions, derSequence(), derBitString(new Uint8Array(1)))),
    ).toThrow("extension OID");
    const badTime = derSequence(
      derInteger(1),
      derSequence(),
      name,
      derSequence(derInteger(1), derInteger(2)),
    );
    expect(() =>
      readCertificate(derSequence(badTime, derSequence(), derBitString(new Uint8Array(1)))),
    ).toThrow("notBefore is not a Time");
  });
});
