import { describe, expect, test } from "bun:test";
import { bytesEqual, concatBytes, DerError, encodeTlv, readChildren, readTlv } from "./der.ts";

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
});
