import type { RunTool } from "./run-tool.ts";

export type SquashfsCompressor = "zstd" | "lz4";

export interface SquashfsOptions {
  readonly sourceDateEpoch: number;
  readonly compressor: SquashfsCompressor;
  /** zstd level (1..22); ignored for lz4. */
  readonly level?: number;
  /** Block size in bytes, a power of two from 4 KiB to 1 MiB (mksquashfs's default: 128 KiB). */
  readonly blockSize?: number;
}

/** mksquashfsArgs's zstd level when `level` is not given. */
export const DEFAULT_SQUASHFS_ZSTD_LEVEL = 15;
/** mksquashfs's own block size when `blockSize` is not given. */
export const DEFAULT_SQUASHFS_BLOCK = 128 * 1024;
export const MIN_BLOCK_SIZE = 4096;
export const MAX_BLOCK_SIZE = 1 << 20;

/** `128K`, `1M`, `131072` => bytes; undefined unless a power of two in 4K..1M. */
export function parseBlockSize(text: string): number | undefined {
  const match = /^(\d+)([KM]?)$/i.exec(text.trim());
  if (match === null) return undefined;
  const unit = match[2]?.toUpperCase();
  const bytes = Number(match[1]) * (unit === "M" ? 1 << 20 : unit === "K" ? 1024 : 1);
  if (bytes < MIN_BLOCK_SIZE || bytes > MAX_BLOCK_SIZE || (bytes & (bytes - 1)) !== 0) return undefined;
  return bytes;
}

/** mksquashfs's arguments for a reproducible, root-owned image without xattrs. */
export function mksquashfsArgs(dir: string, out: string, options: SquashfsOptions): string[] {
  const epoch = String(options.sourceDateEpoch);
  const comp =
    options.compressor === "zstd"
      ? ["-comp", "zstd", "-Xcompression-level", String(options.level ?? DEFAULT_SQUASHFS_ZSTD_LEVEL)]
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
    ...(options.blockSize !== undefined ? ["-b", String(options.blockSize)] : []),
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
