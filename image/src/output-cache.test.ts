import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OutputCache } from "./output-cache.ts";

describe("OutputCache", () => {
  const dir = mkdtempSync(join(tmpdir(), "bronze-outcache-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cache = new OutputCache(join(dir, "cache"));
  const k1 = "a".repeat(64);
  const k2 = "b".repeat(64);

  test("miss, store, hit; a new key replaces the old entry of the same kind only", () => {
    const out = join(dir, "out.sqsh");
    expect(cache.restore("rootfs", k1, out)).toBe(false);
    writeFileSync(join(dir, "made"), "one");
    cache.store("rootfs", k1, join(dir, "made"));
    cache.store("initramfs", k1, join(dir, "made"));
    expect(cache.restore("rootfs", k1, out)).toBe(true);
    expect(readFileSync(out, "utf8")).toBe("one");
    writeFileSync(join(dir, "made"), "two");
    cache.store("rootfs", k2, join(dir, "made"));
    expect(cache.restore("rootfs", k1, out)).toBe(false);
    expect(cache.restore("rootfs", k2, out)).toBe(true);
    expect(readFileSync(out, "utf8")).toBe("two");
    expect(readdirSync(join(dir, "cache")).sort()).toEqual([`initramfs-${k1}`, `rootfs-${k2}`]);
  });

  test("refuses keys that are not digests", () => {
    expect(() => cache.restore("rootfs", "../../etc", join(dir, "x"))).toThrow("output cache: bad kind");
  });
});
