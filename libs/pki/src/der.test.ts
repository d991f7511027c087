import { describe, expect, test } from "bun:test";
import {
  bytesEqual,
  concatBytes,
  contentOf,
  DerError,
  decodeOid,
  encodeTlv,
  encodingOf,
  readChildren,
  readTlv,
} from "./der.ts";

describe("der", () => {
  test("short and long lengths round-trip", () => {
    for (const size of [0, 5, 127, 128, 255, 256, 70_000]) {
      const content = new Uint8Array(size).fill(7);
      const encoded = encodeTlv(0x04, content);
      const tlv = readTlv(encoded, 0);
      expect(tlv.tag).toBe(0x04);
      expect(tlv.end - tlv.start).toBe(size);
      expect(tlv.end).toBe(encoded.length);
    }
    expect([...encodeTlv(0x04, new Uint8Array(200)).slice(0, 3)]).toEqual([0x04, 0x81, 200]);
  });

  test("reads the children of a SEQUENCE", () => {
    const seq = encodeTlv(
      0x30,
      concatBytes(encodeTlv(0x02, Uint8Array.of(1)), encodeTlv(0x06, Uint8Array.of(0x2b, 0x65, 0x70))),
    );
    const children = readChildren(seq, readTlv(seq, 0));
    expect(children.map((c) => c.tag)).toEqual([0x02, 0x06]);
    expect(
      bytesEqual(seq.subarray(children[1]?.start, children[1]?.end), Uint8Array.of(0x2b, 0x65, 0x70)),
    ).toBe(true);
  });

  test("truncated or overlong values are DerErrors", () => {
    expect(() => readTlv(Uint8Array.of(0x30), 0)).toThrow(DerError);
    expect(() => readTlv(Uint8Array.of(0x30, 0x05, 0x00), 0)).toThrow(DerError);
    expect(() => readTlv(Uint8Array.of(0x30, 0x85, 1, 1, 1, 1, 1), 0)).toThrow(DerError);
  });

  test("bytesEqual compares content and length", () => {
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3))).toBe(false);
  });

  test("a TLV's header offset, contents and whole encoding", () => {
    const seq = encodeTlv(
      0x30,
      concatBytes(encodeTlv(0x05, new Uint8Array(0)), encodeTlv(0x04, new Uint8Array(200))),
    );
    const [, octets] = readChildren(seq, readTlv(seq, 0));
    expect(octets).toEqual({ tag: 0x04, header: 5, start: 8, end: 208 });
    expect(contentOf(seq, octets as never).length).toBe(200);
    expect([...encodingOf(seq, octets as never).subarray(0, 3)]).toEqual([0x04, 0x81, 200]);
  });

  test("decodeOid: first byte split into two arcs (2.x may exceed 39), base-128 arcs of any size", () => {
    expect(decodeOid(Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d))).toBe("1.2.840.113549");
    expect(decodeOid(Uint8Array.of(0x88, 0x37, 0x03))).toBe("2.999.3");
    expect(decodeOid(Uint8Array.of(0x00))).toBe("0.0");
    expect(decodeOid(Uint8Array.of(0x4f))).toBe("1.39");
    expect(decodeOid(Uint8Array.of(0x50))).toBe("2.0");
    expect(() => decodeOid(new Uint8Array(0))).toThrow(DerError);
    expect(() => decodeOid(Uint8Array.of(0x2a, 0x86))).toThrow(DerError); // continuation bit on the last byte
    expect(() => decodeOid(Uint8Array.of(0x2a, 0x80, 0x01))).toThrow(DerError); // 0x80 padding
  });
});
