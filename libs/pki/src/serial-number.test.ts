import { describe, expect, test } from "bun:test";
import { randomSerialNumber } from "./serial-number.ts";

describe("randomSerialNumber", () => {
  test("16 bytes of hex, positive (top bit clear), minimally encoded (first byte non-zero), all distinct", () => {
    const serials = Array.from({ length: 2000 }, randomSerialNumber);
    for (const serial of serials) {
      expect(serial).toMatch(/^[0-9a-f]{32}$/);
      const first = Number.parseInt(serial.slice(0, 2), 16);
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThan(0x80);
    }
    expect(new Set(serials).size).toBe(serials.length);
  });
});
