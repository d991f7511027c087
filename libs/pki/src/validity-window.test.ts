import { describe, expect, test } from "bun:test";
import { PkiError } from "./pki-error.ts";
import { DEFAULT_BACKDATE_SECONDS, validityWindow } from "./validity-window.ts";

describe("validityWindow", () => {
  const now = new Date("2030-01-02T03:04:05.678Z");

  test("backdates notBefore by a minute and truncates to whole seconds", () => {
    const window = validityWindow({ now, validityDays: 365 });
    expect(DEFAULT_BACKDATE_SECONDS).toBe(60);
    expect(window.notBefore.toISOString()).toBe("2030-01-02T03:03:05.000Z");
    expect(window.notAfter.toISOString()).toBe("2031-01-02T03:04:05.000Z");
  });

  test("backdate is configurable, including zero", () => {
    expect(validityWindow({ now, validityDays: 1, backdateSeconds: 0 }).notBefore.toISOString()).toBe(
      "2030-01-02T03:04:05.000Z",
    );
    expect(validityWindow({ now, validityDays: 1, backdateSeconds: 3600 }).notBefore.toISOString()).toBe(
      "2030-01-02T02:04:05.000Z",
    );
  });

  test("rejects non-positive validity, negative backdate and invalid dates", () => {
    for (const options of [
      { now, validityDays: 0 },
      { now, validityDays: -1 },
      { now, validityDays: Number.NaN },
      { now, validityDays: 1, backdateSeconds: -5 },
      { now: new Date("nope"), validityDays: 1 },
    ]) {
      expect(() => validityWindow(options)).toThrow(PkiError);
    }
    expect(() => validityWindow({ now, validityDays: 0 })).toThrow("validityDays: must be a positive number");
  });
});
