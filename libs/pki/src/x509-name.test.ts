import { describe, expect, test } from "bun:test";
import { opensslWithOutputs } from "../test/openssl.ts";
import { readCertificate } from "./certificate-reader.ts";
import { x509 } from "./crypto-provider.ts";
import { DerError } from "./der.ts";
import { derOid, derSequence, TAG, tlv } from "./der-writer.ts";
import { decodeSinglePem } from "./pem.ts";
import { encodeName, formatName, nameValues, readName } from "./x509-name.ts";
import { OID } from "./x509-oids.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const x509Text = (der: Uint8Array) => new x509.Name(der).toString();

describe("x509 names", () => {
  test("known answer: CN=bronze is SEQUENCE { SET { SEQUENCE { 2.5.4.3, PrintableString } } }", () => {
    expect(hex(encodeName([{ CN: ["bronze"] }]))).toBe("3011310f300d0603550403130662726f6e7a65");
  });

  test("PrintableString when the value fits its alphabet, UTF8String otherwise", () => {
    const tagOf = (value: string) => {
      return readName(encodeName([{ CN: [value] }]))[0]?.[0]?.encoded[0];
    };
    expect(tagOf("os:admin")).toBe(0x13);
    expect(tagOf("Bronze Inc (test), v1.0 = ok?")).toBe(0x13);
    expect(tagOf("under_score")).toBe(0x0c);
    expect(tagOf("a@b")).toBe(0x0c);
    expect(tagOf("café")).toBe(0x0c);
  });

  test("byte for byte what @peculiar/x509 wrote for the same names (so issuers of existing CAs still match)", () => {
    const names = [
      [{ CN: ["bronze"] }],
      [{ O: ["Bronze Inc"] }, { CN: ["bronze"] }],
      [{ O: ["os:admin", "extra"] }, { CN: ["admin"] }],
      [{ O: ["système"] }, { CN: ["nœud_1"] }],
    ];
    for (const name of names)
      expect(hex(encodeName(name))).toBe(hex(new Uint8Array(new x509.Name(name).toArrayBuffer())));
  });

  test("a multi-valued RDN keeps its order; x509 and our reader agree on text and values", () => {
    const der = encodeName([{ O: ["os:admin", "extra"] }, { CN: ["admin"] }]);
    expect(formatName(der)).toBe("O=os:admin+O=extra, CN=admin");
    expect(x509Text(der)).toBe("O=os:admin+O=extra, CN=admin");
    expect(nameValues(der, OID.organization)).toEqual(["os:admin", "extra"]);
    expect(new x509.Name(der).getField("O")).toEqual(["os:admin", "extra"]);
    expect(nameValues(der, OID.commonName)).toEqual(["admin"]);
  });

  test("text form escapes exactly as @peculiar/x509 does", () => {
    const values = [
      "a,b",
      "x+y",
      'say "hi"',
      "back\\slash",
      "<tag>;",
      " lead",
      "#hash",
      "trail ",
      "tab\there",
      "two\nline\nbreaks",
      "café",
      "日本語",
      "plain",
    ];
    for (const value of values) {
      const der = encodeName([{ O: [value] }, { CN: ["x"] }]);
      expect(formatName(der)).toBe(x509Text(der));
      expect(nameValues(der, OID.organization)).toEqual([value]);
    }
  });

  test("names openssl wrote (other attribute types, IA5String e-mail, UTF-8) read the same as with x509", async () => {
    const made = await opensslWithOutputs(
      [
        "req",
        "-x509",
        "-newkey",
        "ed25519",
        "-nodes",
        "-utf8",
        "-keyout",
        "k.pem",
        "-out",
        "c.pem",
        "-subj",
        "/C=FR/ST=Île-de-France/L=Paris/O=Acme, Inc./OU=Ops/CN=legacy/emailAddress=a@b.c/serialNumber=42/title=Dr",
      ],
      {},
      ["c.pem"],
    );
    expect(made.code).toBe(0);
    const pem = made.outputs["c.pem"] as string;
    const subject = readCertificate(decodeSinglePem(pem, ["CERTIFICATE"], "c").der).subject;
    const certificate = new x509.X509Certificate(pem);
    expect(formatName(subject)).toBe(certificate.subject);
    expect(formatName(subject)).toContain("ST=Île-de-France");
    expect(formatName(subject)).toContain("O=Acme\\, Inc.");
    expect(formatName(subject)).toContain("E=a@b.c");
    expect(formatName(subject)).toContain("2.5.4.5=42");
    expect(nameValues(subject, OID.commonName)).toEqual(["legacy"]);
  });

  test("a value that is not a string type prints as #hex, as x509 prints it", () => {
    const numeric = tlv(0x12, new TextEncoder().encode("123")); // NumericString
    const der = derSequence(tlv(TAG.set, derSequence(derOid("2.5.4.5"), numeric)));
    expect(formatName(der)).toBe(x509Text(der));
    expect(formatName(der)).toBe("2.5.4.5=#1203313233");
    expect(nameValues(der, "2.5.4.5")).toEqual([]);
  });

  test("BMPString and UniversalString values decode", () => {
    const bmp = tlv(0x1e, Uint8Array.of(0x00, 0x41, 0x00, 0xe9)); // "Aé"
    const universal = tlv(0x1c, Uint8Array.of(0, 0, 0, 0x42, 0, 1, 0xf6, 0x00)); // "B😀"
    const der = derSequence(
      tlv(TAG.set, derSequence(derOid(OID.commonName), bmp)),
      tlv(TAG.set, derSequence(derOid(OID.organization), universal)),
    );
    expect(nameValues(der, OID.commonName)).toEqual(["Aé"]);
    expect(nameValues(der, OID.organization)).toEqual(["B😀"]);
    expect(formatName(der)).toBe("CN=Aé, O=B😀");
  });

  test("malformed names are DerErrors", () => {
    expect(() => readName(Uint8Array.of(0x31, 0x00))).toThrow(DerError);
    expect(() => readName(derSequence(derSequence()))).toThrow("not a SET");
    expect(() => readName(derSequence(tlv(TAG.set, derSequence(derOid(OID.commonName)))))).toThrow(
      "SEQUENCE { OID, value }",
    );
    expect(() => readName(Uint8Array.of(0x30, 0x00, 0x00))).toThrow(DerError);
  });
});
