import { describe, expect, test } from "bun:test";
import { openssl } from "../test/openssl.ts";
import { decodeOid, readTlv } from "./der.ts";
import {
  DerEncodeError,
  derBitString,
  derBoolean,
  derContextConstructed,
  derContextPrimitive,
  derGeneralizedTime,
  derIa5String,
  derInteger,
  derNamedBits,
  derNull,
  derOctetString,
  derOid,
  derPrintableString,
  derSequence,
  derSetOf,
  derTime,
  derUtcTime,
  derUtf8String,
  tlv,
} from "./der-writer.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("der-writer", () => {
  test("lengths: short form up to 127, then 0x81 nn, 0x82 nnnn, 0x83 nnnnnn", () => {
    expect(hex(tlv(0x04, new Uint8Array(0)))).toBe("0400");
    expect(hex(tlv(0x04, new Uint8Array(127)).subarray(0, 2))).toBe("047f");
    expect(hex(tlv(0x04, new Uint8Array(128)).subarray(0, 3))).toBe("048180");
    expect(hex(tlv(0x04, new Uint8Array(255)).subarray(0, 3))).toBe("0481ff");
    expect(hex(tlv(0x04, new Uint8Array(256)).subarray(0, 4))).toBe("04820100");
    expect(hex(tlv(0x04, new Uint8Array(65_535)).subarray(0, 4))).toBe("0482ffff");
    expect(hex(tlv(0x04, new Uint8Array(65_536)).subarray(0, 5))).toBe("0483010000");
    for (const size of [0, 1, 127, 128, 255, 256, 300, 65_536]) {
      const encoded = derOctetString(new Uint8Array(size).fill(0xab));
      const read = readTlv(encoded, 0);
      expect(read.end - read.start).toBe(size);
      expect(read.end).toBe(encoded.length);
    }
  });

  test("contents are concatenated in order", () => {
    expect(hex(derSequence(derNull(), derBoolean(true), derBoolean(false)))).toBe(
      "3008" + "0500" + "0101ff" + "010100",
    );
  });

  test("INTEGER: minimal, with a 0x00 pad when the top bit is set; bytes, numbers and bigints", () => {
    expect(hex(derInteger(0))).toBe("020100");
    expect(hex(derInteger(1))).toBe("020101");
    expect(hex(derInteger(127))).toBe("02017f");
    expect(hex(derInteger(128))).toBe("02020080"); // would read as -128 without the pad
    expect(hex(derInteger(255))).toBe("020200ff");
    expect(hex(derInteger(256))).toBe("02020100");
    expect(hex(derInteger(0x7fffffff))).toBe("02047fffffff");
    expect(hex(derInteger(2 ** 53 - 1))).toBe("02071fffffffffffff");
    expect(hex(derInteger(2n ** 64n))).toBe("0209010000000000000000");
    expect(hex(derInteger(Uint8Array.of(0x00, 0x00, 0x05)))).toBe("020105"); // leading zeros dropped
    expect(hex(derInteger(Uint8Array.of(0x00, 0x00)))).toBe("020100");
    expect(hex(derInteger(new Uint8Array(0)))).toBe("020100");
    expect(hex(derInteger(Uint8Array.of(0x80, 0x01)))).toBe("0203008001");
    expect(hex(derInteger(Uint8Array.of(0x00, 0xff)))).toBe("020200ff"); // the existing zero is the pad
    expect(() => derInteger(-1)).toThrow(DerEncodeError);
    expect(() => derInteger(-1n)).toThrow(DerEncodeError);
    expect(() => derInteger(1.5)).toThrow(DerEncodeError);
    expect(() => derInteger(2 ** 53)).toThrow(DerEncodeError);
  });

  test("BIT STRING: whole bytes, and named bits without trailing zeros (KeyUsage)", () => {
    expect(hex(derBitString(Uint8Array.of(0x04, 0xaa)))).toBe("03030004aa");
    expect(hex(derBitString(Uint8Array.of(0x80), 7))).toBe("03020780");
    expect(() => derBitString(new Uint8Array(0), 1)).toThrow(DerEncodeError);
    expect(() => derBitString(Uint8Array.of(1), 8)).toThrow(DerEncodeError);
    // digitalSignature (bit 0) + keyCertSign (5) + cRLSign (6): 1000 0110, one unused bit
    expect(hex(derNamedBits(1 | 32 | 64))).toBe("03020186");
    // digitalSignature + keyEncipherment (2): 1010 0000, five unused bits
    expect(hex(derNamedBits(1 | 4))).toBe("030205a0");
    expect(hex(derNamedBits(1))).toBe("03020780");
    // decipherOnly is bit 8: a second byte
    expect(hex(derNamedBits(256))).toBe("0303070080");
    expect(hex(derNamedBits(128))).toBe("03020001");
    expect(hex(derNamedBits(0))).toBe("030100");
  });

  test("OID: 40*a+b then base 128, large arcs included; round-trips through the reader", () => {
    expect(hex(derOid("1.2.840.113549"))).toBe("06062a864886f70d");
    expect(hex(derOid("2.5.29.19"))).toBe("0603551d13");
    expect(hex(derOid("1.2.840.10045.3.1.7"))).toBe("06082a8648ce3d030107");
    expect(hex(derOid("1.3.101.112"))).toBe("06032b6570");
    expect(hex(derOid("2.999.3"))).toBe("0603883703"); // X.690 §8.19.5: the first subidentifier is 1079
    expect(hex(derOid("0.0"))).toBe("060100");
    expect(hex(derOid("1.2.4294967296"))).toBe("06062a9080808000"); // an arc past 32 bits
    const uuid = "2.25.329800735698586629295641978511506172918";
    expect(hex(derOid(uuid))).toBe("06146983f09da7ebcfdee0c7a1a7b2c0948cc8f9d776");
    for (const oid of ["1.2.840.113549", "2.999.3", "0.39", "1.39.5", "2.40.1", uuid, "1.2.4294967296"]) {
      expect(decodeOid(derOid(oid).subarray(2))).toBe(oid);
    }
    for (const bad of ["", "1", "3.1", "1.40", "0.40", "1.2.", "1..2", "1.02", "a.b", "-1.2"]) {
      expect(() => derOid(bad)).toThrow(DerEncodeError);
    }
  });

  test("strings: UTF8String, PrintableString (alphabet checked), IA5String (ASCII only)", () => {
    expect(hex(derUtf8String("café"))).toBe("0c05636166c3a9");
    expect(hex(derPrintableString("os:admin"))).toBe("13086f733a61646d696e");
    expect(() => derPrintableString("a@b")).toThrow(DerEncodeError);
    expect(() => derPrintableString("under_score")).toThrow(DerEncodeError);
    expect(hex(derIa5String("a@b"))).toBe("1603614062");
    expect(() => derIa5String("é")).toThrow(DerEncodeError);
  });

  test("times: UTCTime through 2049, GeneralizedTime from 2050 and before 1950; milliseconds dropped", () => {
    const text = (bytes: Uint8Array) =>
      `${bytes[0]?.toString(16)}:${Buffer.from(bytes.subarray(2)).toString()}`;
    expect(text(derTime(new Date("2049-12-31T23:59:59.999Z")))).toBe("17:491231235959Z");
    expect(text(derTime(new Date("2050-01-01T00:00:00Z")))).toBe("18:20500101000000Z");
    expect(text(derTime(new Date("1950-01-01T00:00:00Z")))).toBe("17:500101000000Z");
    expect(text(derTime(new Date("1949-12-31T23:59:59Z")))).toBe("18:19491231235959Z");
    expect(text(derTime(new Date("2000-02-29T01:02:03Z")))).toBe("17:000229010203Z");
    expect(text(derGeneralizedTime(new Date("2031-05-06T07:08:09Z")))).toBe("18:20310506070809Z");
    expect(() => derUtcTime(new Date("2050-01-01T00:00:00Z"))).toThrow(DerEncodeError);
    expect(() => derTime(new Date("x"))).toThrow(DerEncodeError);
    expect(() => derTime(new Date("+010000-01-01T00:00:00Z"))).toThrow(DerEncodeError);
  });

  test("SET OF sorts its encoded elements; context tags", () => {
    const b = derOctetString(Uint8Array.of(2));
    const a = derOctetString(Uint8Array.of(1));
    const longer = derOctetString(Uint8Array.of(0, 0));
    expect(hex(derSetOf(b, longer, a))).toBe("310a" + "040101" + "040102" + "04020000");
    expect(hex(derContextConstructed(0, derInteger(2)))).toBe("a003020102");
    expect(hex(derContextConstructed(3))).toBe("a300");
    expect(hex(derContextPrimitive(7, Uint8Array.of(10, 0, 0, 1)))).toBe("87040a000001");
    expect(() => derContextPrimitive(31, new Uint8Array(0))).toThrow(DerEncodeError);
  });

  test("openssl asn1parse reads a structure of every type back", async () => {
    const der = derSequence(
      derBoolean(true),
      derInteger(128),
      derBitString(Uint8Array.of(1, 2)),
      derOctetString(new Uint8Array(300)),
      derNull(),
      derOid("2.5.29.19"),
      derUtf8String("héllo"),
      derPrintableString("ok"),
      derIa5String("a@b"),
      derUtcTime(new Date("2049-12-31T23:59:59Z")),
      derGeneralizedTime(new Date("2050-01-01T00:00:00Z")),
      derSetOf(derInteger(2), derInteger(1)),
      derContextConstructed(0, derInteger(5)),
    );
    const result = await openssl(["asn1parse", "-inform", "DER", "-in", "x.der", "-i"], {
      "x.der": der,
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const lines = result.stdout
      .split("\n")
      .map((line) => line.replace(/^.*?:d=\d+\s+hl=\d\s+l=\s*\d+\s+/, "").trim());
    expect(lines.slice(0, 16)).toEqual([
      "cons: SEQUENCE",
      "prim:  BOOLEAN           :255",
      "prim:  INTEGER           :80",
      "prim:  BIT STRING",
      `prim:  OCTET STRING      [HEX DUMP]:${"00".repeat(300)}`,
      "prim:  NULL",
      "prim:  OBJECT            :X509v3 Basic Constraints",
      "prim:  UTF8STRING        :héllo",
      "prim:  PRINTABLESTRING   :ok",
      "prim:  IA5STRING         :a@b",
      "prim:  UTCTIME           :491231235959Z",
      "prim:  GENERALIZEDTIME   :20500101000000Z",
      "cons:  SET",
      "prim:   INTEGER           :01",
      "prim:   INTEGER           :02",
      "cons:  cont [ 0 ]",
    ]);
  });
});
