import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ImageError } from "./image-error.ts";
import { type Profile, profileByName } from "./profiles.ts";
import { parseBlockSize, type SquashfsCompressor } from "./squashfs.ts";

export interface BuildCommand {
  readonly profile: Profile;
  readonly outDir: string;
  readonly cacheDir: string;
  readonly nodeEntry: string;
  readonly sourceDateEpoch: number;
  readonly version: string;
  readonly initramfsZstdLevel: number;
  readonly squashfs: {
    readonly compressor: SquashfsCompressor;
    readonly level?: number;
    readonly blockSize: number;
  };
  readonly outputCache: boolean;
  readonly initramfsLayout: "stage1" | "compact";
  readonly disk: boolean;
}

/** The rootfs's default squashfs compression: see image/README.md ("Sizes") for the measurements. */
export const DEFAULT_SQUASHFS_LEVEL = 19;
export const DEFAULT_SQUASHFS_BLOCK_SIZE = 1 << 20;
const DEFAULT_SQUASHFS_BLOCK_SIZE_TEXT = "1M";
export const DEFAULT_INITRAMFS_LAYOUT = "compact";
/** The initramfs's zstd level when --zstd-level is not given, by layout. */
export const DEFAULT_INITRAMFS_ZSTD_LEVEL = { compact: 1, stage1: 3 } as const;

export const USAGE = `usage: bun image/src/main.ts build [options]
  --profile qemu|metal        boot target (default qemu)
  --out DIR                   artifacts directory (default <repo>/_out)
  --cache DIR                 package cache and work space (default $BRONZE_IMAGE_CACHE, else <repo>/.cache/image)
  --node-entry FILE           entry point of the multi-call binary (default apps/machined/src/main.ts)
  --version V                 os-release version (default dev)
  --source-date-epoch N       timestamp of every file (default $SOURCE_DATE_EPOCH, else 0)
  --zstd-level N              initramfs zstd level, 1..19 (default 1 for compact: its bulk is the
                              already-compressed rootfs.sqsh, stored as is; 3 for stage1)
  --squashfs-comp zstd|lz4    rootfs compressor (default zstd)
  --squashfs-level N          rootfs zstd level, 1..22 (default ${DEFAULT_SQUASHFS_LEVEL})
  --squashfs-block-size B     rootfs block size, 4K..1M, a power of two (default ${DEFAULT_SQUASHFS_BLOCK_SIZE_TEXT})
  --initramfs compact|stage1  compact (default): /init, a tiny machine-code shim, loads the modules,
                              mounts rootfs.sqsh and execs /sbin/init (machined); no Bun in the initramfs.
                              stage1: /init execs the multi-call binary in the initramfs, which mounts
                              the root (DESIGN §2; carries the binary twice, needs 576 MB of RAM)
  --no-output-cache           rebuild rootfs.sqsh and initramfs.zst even if the inputs are unchanged
  --no-disk                   skip disk.raw (it needs root and loop devices)`;

function integer(
  value: string | undefined,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ImageError(
      "BadInput",
      `${name} must be an integer in ${min}..${max}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/**
 * Parses `build` arguments. Relative paths are taken from `cwd`; defaults from `repoRoot`.
 * `env` supplies SOURCE_DATE_EPOCH.
 */
export function parseBuildCommand(
  argv: readonly string[],
  context: {
    readonly cwd: string;
    readonly repoRoot: string;
    readonly env: Readonly<Record<string, string | undefined>>;
  },
): BuildCommand {
  const [command, ...rest] = argv;
  if (command !== "build")
    throw new ImageError("BadInput", `unknown command ${JSON.stringify(command ?? "")}\n${USAGE}`);
  let parsed: Record<string, string | boolean | undefined>;
  try {
    parsed = parseArgs({
      args: [...rest],
      strict: true,
      allowPositionals: false,
      options: {
        profile: { type: "string" },
        out: { type: "string" },
        cache: { type: "string" },
        "node-entry": { type: "string" },
        version: { type: "string" },
        "source-date-epoch": { type: "string" },
        "zstd-level": { type: "string" },
        "squashfs-comp": { type: "string" },
        "squashfs-level": { type: "string" },
        "no-output-cache": { type: "boolean" },
        "no-disk": { type: "boolean" },
        "squashfs-block-size": { type: "string" },
        initramfs: { type: "string" },
      },
    }).values;
  } catch (cause) {
    throw new ImageError("BadInput", `${(cause as Error).message}\n${USAGE}`, { cause });
  }
  const values: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(parsed)) if (typeof value === "string") values[key] = value;
  const comp = values["squashfs-comp"] ?? "zstd";
  if (comp !== "zstd" && comp !== "lz4") {
    throw new ImageError("BadInput", `--squashfs-comp must be zstd or lz4, got ${JSON.stringify(comp)}`);
  }
  const initramfsLayout = values.initramfs ?? DEFAULT_INITRAMFS_LAYOUT;
  if (initramfsLayout !== "stage1" && initramfsLayout !== "compact") {
    throw new ImageError(
      "BadInput",
      `--initramfs must be compact or stage1, got ${JSON.stringify(initramfsLayout)}`,
    );
  }
  const blockSizeText = values["squashfs-block-size"];
  const blockSize = blockSizeText === undefined ? DEFAULT_SQUASHFS_BLOCK_SIZE : parseBlockSize(blockSizeText);
  if (blockSize === undefined) {
    throw new ImageError(
      "BadInput",
      `--squashfs-block-size must be a power of two from 4K to 1M (e.g. 128K, 1M), got ${JSON.stringify(blockSizeText)}`,
    );
  }
  const fromCwd = (p: string) => resolve(context.cwd, p);
  const nodeEntry = values["node-entry"]
    ? fromCwd(values["node-entry"])
    : resolve(context.repoRoot, "apps/machined/src/main.ts");
  if (!existsSync(nodeEntry)) {
    throw new ImageError(
      "NotFound",
      `node entry point ${nodeEntry} does not exist${values["node-entry"] ? "" : " (pass --node-entry FILE)"}`,
    );
  }
  const epochText = values["source-date-epoch"] ?? context.env.SOURCE_DATE_EPOCH;
  return {
    profile: profileByName(values.profile ?? "qemu"),
    outDir: values.out ? fromCwd(values.out) : resolve(context.repoRoot, "_out"),
    cacheDir: values.cache
      ? fromCwd(values.cache)
      : context.env.BRONZE_IMAGE_CACHE
        ? fromCwd(context.env.BRONZE_IMAGE_CACHE)
        : resolve(context.repoRoot, ".cache/image"),
    nodeEntry,
    version: values.version ?? "dev",
    sourceDateEpoch: integer(epochText, "--source-date-epoch / SOURCE_DATE_EPOCH", 0, 0xffffffff, 0),
    initramfsZstdLevel: integer(
      values["zstd-level"],
      "--zstd-level",
      1,
      19,
      DEFAULT_INITRAMFS_ZSTD_LEVEL[initramfsLayout],
    ),
    squashfs:
      comp === "zstd"
        ? {
            compressor: "zstd",
            level: integer(values["squashfs-level"], "--squashfs-level", 1, 22, DEFAULT_SQUASHFS_LEVEL),
            blockSize,
          }
        : { compressor: "lz4", blockSize },
    outputCache: parsed["no-output-cache"] !== true,
    initramfsLayout,
    disk: parsed["no-disk"] !== true,
  };
}
