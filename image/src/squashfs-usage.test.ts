import { afterAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTool } from "./run-tool.ts";
import { mksquashfs } from "./squashfs.ts";
import { squashfsUsage } from "./squashfs-usage.ts";

// Real images from mksquashfs: incompressible, compressible, small and duplicate files.
const dir = mkdtempSync(join(tmpdir(), "bronze-squsage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tree = join(dir, "tree");
mkdirSync(join(tree, "sub"), { recursive: true });
const random = randomBytes(300_000);
writeFileSync(join(tree, "random"), random);
writeFileSync(join(tree, "sub/random-copy"), random);
writeFileSync(join(tree, "text"), "bronze ".repeat(150_000)); // compressible (zeros would be sparse)
writeFileSync(join(tree, "small"), "hello\n");
symlinkSync("random", join(tree, "link"));

async function image(name: string, blockSize?: number, compressor: "zstd" | "lz4" = "zstd") {
  const out = join(dir, name);
  await mksquashfs(runTool, tree, out, {
    sourceDateEpoch: 0,
    compressor,
    level: 9,
    ...(blockSize ? { blockSize } : {}),
  });
  return readFileSync(out);
}

describe("squashfsUsage", () => {
  test("each file's stored blocks, fragments and metadata add up to the image's bytes", async () => {
    const bytes = await image("a.sqsh");
    const usage = squashfsUsage(bytes);
    expect(usage.compressor).toBe("zstd");
    expect(usage.blockSize).toBe(128 * 1024);
    expect(usage.bytesUsed).toBeLessThanOrEqual(bytes.length);
    expect(usage.files.map((f) => f.size).sort((a, b) => a - b)).toEqual([6, 300_000, 300_000, 1_050_000]);

    const randoms = usage.files.filter((f) => f.size === 300_000);
    // three blocks of random bytes stored as they are (a file larger than a block keeps its tail end)
    for (const f of randoms) {
      expect(f.blockBytes).toBe(300_000);
      expect(f.fragment).toBe(false);
    }
    expect(randoms.map((f) => f.duplicate).sort()).toEqual([false, true]);
    for (const f of randoms) expect(f.fragmentShare).toBe(0);
    const text = usage.files.find((f) => f.size === 1_050_000);
    expect(text?.blockBytes).toBeGreaterThan(0);
    expect(text?.blockBytes).toBeLessThan(1_050_000 / 20);

    const counted = usage.files.filter((f) => !f.duplicate).reduce((n, f) => n + f.blockBytes, 0);
    // one fragment block holding the small file
    expect(usage.fragmentBytes).toBeGreaterThan(0);
    expect(usage.fragmentBytes).toBeLessThan(100);
    expect(usage.metadataBytes).toBeGreaterThan(96); // at least the superblock
    expect(counted + usage.fragmentBytes + usage.metadataBytes).toBe(usage.bytesUsed);
  });

  test("1 MiB blocks: files smaller than a block go whole into a fragment block", async () => {
    const usage = squashfsUsage(await image("b.sqsh", 1 << 20));
    expect(usage.blockSize).toBe(1 << 20);
    const random = usage.files.find((f) => f.size === 300_000 && !f.duplicate);
    expect(random?.blockBytes).toBe(0);
    expect(random?.fragment).toBe(true);
    // the fragment block's bytes are shared out by tail size: nearly all of it is the random file's
    expect(random?.fragmentShare).toBeGreaterThan(0.9 * usage.fragmentBytes);
    const copy = usage.files.find((f) => f.size === 300_000 && f.duplicate);
    expect(copy?.fragment).toBe(true);
    expect(copy?.fragmentShare).toBe(0);
    const shares = usage.files.reduce((n, f) => n + f.fragmentShare, 0);
    expect(Math.abs(shares - usage.fragmentBytes)).toBeLessThan(1);
    expect(usage.fragmentBytes).toBeGreaterThan(300_000);
  });

  test("bad input is named", async () => {
    expect(() => squashfsUsage(new Uint8Array(10))).toThrow("10 bytes is too short for a superblock");
    expect(() => squashfsUsage(new Uint8Array(4096))).toThrow("no squashfs magic");
    const lz4 = await image("c.sqsh", undefined, "lz4");
    expect(() => squashfsUsage(lz4)).toThrow("cannot read lz4-compressed metadata (zstd and gzip only)");
  });
});
