import { describe, expect, test } from "bun:test";
import { biosBootSectors } from "./bios-boot.ts";
import { InstallerError } from "./installer-error.ts";

describe("BIOS boot sectors", () => {
  const bootImg = new Uint8Array(512).fill(0xaa);
  const mbr = new Uint8Array(512);
  mbr.set([0xee], 0x1c2); // protective MBR partition type
  mbr.set([0x55, 0xaa], 0x1fe);

  test("boot.img points at core.img, keeps the partition table; core.img's blocklist points at the rest", () => {
    const core = new Uint8Array(512 * 3 + 10).fill(1);
    const out = biosBootSectors(bootImg, core, mbr, 2048, 2048);
    const view = new DataView(out.mbr.buffer);
    expect(view.getBigUint64(0x5c, true)).toBe(2048n);
    expect(out.mbr[0x64]).toBe(0xff);
    expect([out.mbr[0x66], out.mbr[0x67]]).toEqual([0x90, 0x90]);
    expect(out.mbr[0x1c2]).toBe(0xee);
    expect([out.mbr[0x1fe], out.mbr[0x1ff]]).toEqual([0x55, 0xaa]);
    expect(out.mbr[0x10]).toBe(0xaa);
    expect(out.core.length).toBe(512 * 4);
    const cv = new DataView(out.core.buffer);
    expect(cv.getBigUint64(0x1f4, true)).toBe(2049n);
    expect(cv.getUint16(0x1fc, true)).toBe(3);
    expect(cv.getUint16(0x1fe, true)).toBe(0x820);
  });

  test("a core.img bigger than the BIOS boot partition is refused", () => {
    expect(() => biosBootSectors(bootImg, new Uint8Array(512 * 5), mbr, 2048, 4)).toThrow(
      new InstallerError("TooSmall", "core.img needs 5 sectors; the BIOS boot partition has 4"),
    );
  });
});
