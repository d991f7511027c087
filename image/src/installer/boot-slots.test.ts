import { describe, expect, test } from "bun:test";
import {
  currentSlotRecord,
  decodeSlotRecord,
  emptyGrubEnv,
  encodeSlotRecord,
  GRUBENV_BYTES,
  grubEnvBlock,
  META_RECORD_BYTES,
  nextSlotWrite,
  parseGrubEnvBlock,
} from "./boot-slots.ts";

const meta = (...copies: Array<Uint8Array | undefined>) => {
  const out = new Uint8Array(2 * META_RECORD_BYTES);
  copies.forEach((c, i) => {
    if (c !== undefined) out.set(c, i * META_RECORD_BYTES);
  });
  return out;
};

describe("the boot state on META", () => {
  test("a record is one GRUB environment block of one sector, and reads back", () => {
    const bytes = encodeSlotRecord({ seq: 7, committed: "B", trial: "A" });
    expect(bytes).toHaveLength(512);
    expect(new TextDecoder().decode(bytes)).toStartWith(
      "# GRUB Environment Block\nbronze_seq=7\nbronze_default=b\nbronze_trial=a\nbronze_end=7\n###",
    );
    expect(decodeSlotRecord(bytes)).toEqual({ seq: 7, committed: "B", trial: "A" });
    expect(decodeSlotRecord(encodeSlotRecord({ seq: 1, committed: "A" }))).toEqual({
      seq: 1,
      committed: "A",
    });
  });

  test("blank, foreign and torn copies are not records", () => {
    expect(decodeSlotRecord(new Uint8Array(512))).toBeUndefined();
    expect(decodeSlotRecord(grubEnvBlock([["bronze_seq", "3"]], 512))).toBeUndefined();
    // the first half of a new copy over the second half of an old one: bronze_end does not match
    const torn = encodeSlotRecord({ seq: 4, committed: "A" });
    torn.set(encodeSlotRecord({ seq: 3, committed: "A" }).subarray(40), 40);
    expect(new TextDecoder().decode(torn)).toContain("bronze_seq=4");
    expect(decodeSlotRecord(torn)).toBeUndefined();
    expect(
      decodeSlotRecord(
        grubEnvBlock(
          [
            ["bronze_seq", "2"],
            ["bronze_default", "c"],
            ["bronze_end", "2"],
          ],
          512,
        ),
      ),
    ).toBeUndefined();
    expect(() => encodeSlotRecord({ seq: 0, committed: "A" })).toThrow();
  });

  test("the intact copy with the higher sequence is current; the next write goes to the other copy", () => {
    const one = encodeSlotRecord({ seq: 1, committed: "A" });
    const two = encodeSlotRecord({ seq: 2, committed: "A", trial: "B" });
    expect(currentSlotRecord(meta(one, two))).toEqual({
      record: { seq: 2, committed: "A", trial: "B" },
      copy: 1,
    });
    expect(currentSlotRecord(meta(one))).toEqual({ record: { seq: 1, committed: "A" }, copy: 0 });
    expect(currentSlotRecord(meta())).toBeUndefined();
    const next = nextSlotWrite(meta(one, two), { committed: "B" });
    expect(next.offset).toBe(0);
    expect(next.record).toEqual({ seq: 3, committed: "B" });
    expect(decodeSlotRecord(next.bytes)).toEqual(next.record);
    // a torn newest copy: the older one is current, and is kept while the torn one is rewritten
    const broken = meta(
      one,
      two.map((b, i) => (i > 30 ? 0 : b)),
    );
    expect(currentSlotRecord(broken)?.record.seq).toBe(1);
    expect(nextSlotWrite(broken, { committed: "A" })).toMatchObject({ offset: 512, record: { seq: 2 } });
  });

  test("grubenv is GRUB's 1024-byte block; values that would break it are refused", () => {
    const env = emptyGrubEnv();
    expect(env).toHaveLength(GRUBENV_BYTES);
    expect(parseGrubEnvBlock(env)).toEqual(new Map([["bronze_tried", "0"]]));
    expect(parseGrubEnvBlock(new Uint8Array(1024))).toBeUndefined();
    expect(() => grubEnvBlock([["x", "a\nb"]], 1024)).toThrow();
    expect(() => grubEnvBlock([["x", "y".repeat(600)]], 512)).toThrow();
  });
});
