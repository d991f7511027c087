import { describe, expect, test } from "bun:test";
import { compileArgs, compileNodeBinary } from "./node-binary.ts";
import { mksquashfsArgs, parseBlockSize } from "./squashfs.ts";
import { zstdArgs } from "./zstd.ts";

describe("tool arguments", () => {
  test("mksquashfs is reproducible: fixed times, root owner, no xattrs, no appending", () => {
    const args = mksquashfsArgs("/d", "/o.sqsh", { sourceDateEpoch: 42, compressor: "zstd", level: 9 });
    expect(args.slice(0, 3)).toEqual(["mksquashfs", "/d", "/o.sqsh"]);
    for (const flag of ["-noappend", "-reproducible", "-all-root", "-no-xattrs"])
      expect(args).toContain(flag);
    expect(args.join(" ")).toContain("-mkfs-time 42 -all-time 42");
    expect(args.join(" ")).toContain("-comp zstd -Xcompression-level 9");
    expect(mksquashfsArgs("/d", "/o", { sourceDateEpoch: 1, compressor: "lz4" }).join(" ")).toContain(
      "-comp lz4 -Xhc",
    );
    // no block size: mksquashfs's own (128 KiB); a block size: -b in bytes
    expect(args).not.toContain("-b");
    const big = mksquashfsArgs("/d", "/o", {
      sourceDateEpoch: 1,
      compressor: "zstd",
      level: 19,
      blockSize: 1 << 20,
    });
    expect(big.join(" ")).toContain("-comp zstd -Xcompression-level 19 -b 1048576");
  });

  test("block sizes: K and M suffixes, powers of two from 4 KiB to 1 MiB only", () => {
    expect(parseBlockSize("128K")).toBe(131072);
    expect(parseBlockSize("1M")).toBe(1048576);
    expect(parseBlockSize("4096")).toBe(4096);
    for (const bad of ["2M", "2K", "100K", "0", "-1K", "1.5M", "K", ""])
      expect(parseBlockSize(bad)).toBeUndefined();
  });

  test("zstd and bun build", () => {
    expect(zstdArgs("a.cpio", "a.zst", 7)).toEqual([
      "zstd",
      "-q",
      "-f",
      "-7",
      "-T0",
      "a.cpio",
      "-o",
      "a.zst",
    ]);
    // An entry without workers beside it (apps/x/ does not exist) is compiled alone.
    expect(compileArgs("apps/x/main.ts", "/w")).toEqual([
      "bun",
      "build",
      "--compile",
      "--minify",
      "--keep-names",
      "--bytecode",
      "--format=esm",
      "--compile-jit-policy=50",
      "--no-compile-autoload-bunfig",
      "--no-compile-autoload-dotenv",
      "--sourcemap=none",
      "apps/x/main.ts",
      "--outfile",
      "/w/bronze",
    ]);
  });

  test("a missing entry point is reported before compiling", async () => {
    await expect(compileNodeBinary(async () => "", "/nope/main.ts", "/tmp")).rejects.toThrow(
      "node entry point /nope/main.ts does not exist",
    );
  });
});
