import { describe, expect, test } from "bun:test";
import { parseBuildCommand } from "./cli.ts";

const repoRoot = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const entry = `${repoRoot}/image/test/fixtures/hello-init.ts`;
const context = { cwd: `${repoRoot}/image`, repoRoot, env: {} };

describe("parseBuildCommand", () => {
  test("defaults: qemu, _out and .cache/image under the repo, compact, zstd levels, output cache on", () => {
    const command = parseBuildCommand(["build", "--node-entry", "test/fixtures/hello-init.ts"], context);
    expect(command.profile.name).toBe("qemu");
    expect(command.outDir).toBe(`${repoRoot}/_out`);
    expect(command.cacheDir).toBe(`${repoRoot}/.cache/image`);
    expect(command.nodeEntry).toBe(entry);
    expect(command.sourceDateEpoch).toBe(0);
    expect(command.version).toBe("dev");
    // compact: the initramfs is mostly the already-compressed rootfs.sqsh, zstd -1 stores it as is
    expect(command.initramfsZstdLevel).toBe(1);
    expect(command.squashfs).toEqual({ compressor: "zstd", level: 19, blockSize: 1 << 20 });
    expect(command.outputCache).toBe(true);
    expect(command.initramfsLayout).toBe("compact");
    expect(command.disk).toBe(true);
  });

  test("BRONZE_IMAGE_CACHE moves the default cache; --cache still wins", () => {
    const env = { BRONZE_IMAGE_CACHE: "/tmp/my-cache" };
    const argv = ["build", "--node-entry", "test/fixtures/hello-init.ts"];
    expect(parseBuildCommand(argv, { ...context, env }).cacheDir).toBe("/tmp/my-cache");
    expect(parseBuildCommand([...argv, "--cache", "c"], { ...context, env }).cacheDir).toBe(
      `${repoRoot}/image/c`,
    );
  });

  test("options, relative to the working directory; SOURCE_DATE_EPOCH from the environment", () => {
    const command = parseBuildCommand(
      [
        "build",
        "--profile",
        "metal",
        "--out",
        "o",
        "--node-entry",
        entry,
        "--squashfs-comp",
        "lz4",
        "--no-output-cache",
        "--initramfs",
        "stage1",
        "--no-disk",
      ],
      { ...context, env: { SOURCE_DATE_EPOCH: "1700000000" } },
    );
    expect(command.profile.name).toBe("metal");
    expect(command.outDir).toBe(`${repoRoot}/image/o`);
    expect(command.squashfs).toEqual({ compressor: "lz4", blockSize: 1 << 20 });
    expect(command.sourceDateEpoch).toBe(1700000000);
    expect(command.outputCache).toBe(false);
    expect(command.initramfsLayout).toBe("stage1");
    expect(command.initramfsZstdLevel).toBe(3); // stage1 carries the uncompressed binary
    expect(command.disk).toBe(false);
  });

  test("squashfs level and block size; an explicit --zstd-level wins over the layout's", () => {
    const e = ["build", "--node-entry", entry];
    const command = parseBuildCommand(
      [...e, "--squashfs-level", "9", "--squashfs-block-size", "128K", "--zstd-level", "5"],
      context,
    );
    expect(command.squashfs).toEqual({ compressor: "zstd", level: 9, blockSize: 131072 });
    expect(command.initramfsZstdLevel).toBe(5);
    expect(parseBuildCommand([...e, "--squashfs-block-size", "4096"], context).squashfs.blockSize).toBe(4096);
    expect(parseBuildCommand([...e, "--squashfs-block-size", "1m"], context).squashfs.blockSize).toBe(
      1 << 20,
    );
  });

  test("bad input is named", () => {
    const e = ["--node-entry", entry];
    expect(() => parseBuildCommand(["bake"], context)).toThrow('unknown command "bake"');
    expect(() => parseBuildCommand(["build", ...e, "--profile", "aws"], context)).toThrow(
      'unknown profile "aws"',
    );
    expect(() => parseBuildCommand(["build", ...e, "--zstd-level", "30"], context)).toThrow(
      '--zstd-level must be an integer in 1..19, got "30"',
    );
    expect(() => parseBuildCommand(["build", ...e, "--squashfs-comp", "xz"], context)).toThrow("zstd or lz4");
    expect(() => parseBuildCommand(["build", ...e, "--initramfs", "big"], context)).toThrow(
      '--initramfs must be compact or stage1, got "big"',
    );
    for (const size of ["2M", "100K", "2K", "big", ""])
      expect(() => parseBuildCommand(["build", ...e, "--squashfs-block-size", size], context)).toThrow(
        `--squashfs-block-size must be a power of two from 4K to 1M (e.g. 128K, 1M), got ${JSON.stringify(size)}`,
      );
    expect(() => parseBuildCommand(["build", ...e, "--frobnicate"], context)).toThrow(/frobnicate/);
    expect(() => parseBuildCommand(["build", "--node-entry", "nope.ts"], context)).toThrow(
      /nope\.ts does not exist/,
    );
    expect(() =>
      parseBuildCommand(["build", ...e], { ...context, env: { SOURCE_DATE_EPOCH: "yesterday" } }),
    ).toThrow("SOURCE_DATE_EPOCH must be an integer");
  });
});
