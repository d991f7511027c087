// disk.raw from small stand-in artifacts: a sparse file through a loop device and the installer.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fakeArtifacts, sh } from "../../test/loop-disk.ts";
import { InstallerError } from "../installer/installer-error.ts";
import { manifestFileAt } from "../manifest.ts";
import { buildDiskImage } from "./disk-image.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-disk-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Loop devices backed by `file` (none must be left behind). */
const loopsOf = (file: string) => sh(["losetup", "--associated", file]).trim();

describe("buildDiskImage", () => {
  test("a sparse GPT disk with the layout; the loop device is detached; same seed, same bytes", async () => {
    const artifacts = fakeArtifacts(dir);
    const build = (output: string) =>
      buildDiskImage({
        artifactsDir: artifacts,
        output,
        platform: "qemu",
        seed: "test",
        sourceDateEpoch: 1700000000,
        log: () => {},
      });
    const first = await build(join(dir, "a.raw"));
    expect(first.sizeBytes).toBe(statSync(first.path).size);
    expect(statSync(first.path).blocks * 512).toBeLessThan(first.sizeBytes / 4); // sparse
    expect(existsSync(`${first.path}.partial`)).toBe(false);
    expect(loopsOf(first.path)).toBe("");
    const table = JSON.parse(sh(["sfdisk", "-J", first.path])).partitiontable;
    expect(table.partitions.map((p: { name: string }) => p.name)).toEqual(
      first.install.layout.partitions.map((p) => p.name),
    );
    expect(table.id).toBe(first.install.layout.diskId.toUpperCase());
    expect(first.install.layout.partitions.at(-1)?.sizeMiB).toBeGreaterThanOrEqual(512);

    await Bun.sleep(1100); // a timestamp leaking into the image would now differ
    const second = await build(join(dir, "b.raw"));
    expect((await manifestFileAt("b", second.path)).sha256).toBe(
      (await manifestFileAt("a", first.path)).sha256,
    );
    rmSync(second.path);
  }, 60_000);

  test("too small a size is refused before anything is created", async () => {
    const artifacts = fakeArtifacts(dir);
    const output = join(dir, "small.raw");
    try {
      await buildDiskImage({
        artifactsDir: artifacts,
        output,
        platform: "qemu",
        sizeMiB: 100,
        log: () => {},
      });
      throw new Error("expected a refusal");
    } catch (err) {
      expect(err).toBeInstanceOf(InstallerError);
      expect((err as InstallerError).message).toMatch(
        /^disk image size 100 MiB: the layout needs at least \d+ MiB$/,
      );
    }
    expect(existsSync(output)).toBe(false);
    expect(existsSync(`${output}.partial`)).toBe(false);
  });
});
