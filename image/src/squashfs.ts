import type { RunTool } from "./run-tool.ts";

export type SquashfsCompressor = "zstd" | "lz4";

export interface SquashfsOptions {
  readonly sourceDateEpoch: number;
  readonly compressor: SquashfsCompressor;
  /** zstd level (1..22); ignored for lz4. */
  readonly level?: number;
}

/** mksquashfs's arguments for a reproducible, root-owned image without xattrs. */
export function mksquashfsArgs(dir: string, out: string, options: SquashfsOptions): string[] {
  const epoch = String(options.sourceDateEpoch);
  const comp =
    options.compressor === "zstd"
      ? ["-comp", "zstd", "-Xcompression-level", String(options.level ?? 15)]
      : ["-comp", "lz4", "-Xhc"];
  return [
    "mksquashfs",
    dir,
    out,
    "-noappend",
    "-reproducible",
    "-all-root",
    "-no-xattrs",
    "-mkfs-time",
    epoch,
    "-all-time",
    epoch,
    ...comp,
    "-quiet",
    "-no-progress",
  ];
}

export async function mksquashfs(
  run: RunTool,
  dir: string,
  out: string,
  options: SquashfsOptions,
): Promise<void> {
  await run(mksquashfsArgs(dir, out, options));
}
