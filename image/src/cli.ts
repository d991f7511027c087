import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ImageError } from "./image-error.ts";
import { type Profile, profileByName } from "./profiles.ts";
import type { SquashfsCompressor } from "./squashfs.ts";

export interface BuildCommand {
  readonly profile: Profile;
  readonly outDir: string;
  readonly cacheDir: string;
  readonly nodeEntry: string;
  readonly sourceDateEpoch: number;
  readonly version: string;
  readonly initramfsZstdLevel: number;
  readonly squashfs: { readonly compressor: SquashfsCompressor; readonly level?: number };
  readonly outputCache: boolean;
  readonly initramfsLayout: "stage1" | "compact";
  readonly disk: boolean;
}

export const USAGE = `usage: bun image/src/main.ts build [options]
  --profile qemu|metal        boot target (default qemu)
  --out DIR                   artifacts directory (default <repo>/_out)
  --cache DIR                 package cache and work space (default $BRONZE_IMAGE_CACHE, else <repo>/.cache/image)
  --node-entry FILE           entry point of the multi-call binary (default apps/machined/src/main.ts)
  --version V                 os-release version (default dev)
  --source-date-epoch N       timestamp of every file (default $SOURCE_DATE_EPOCH, else 0)
  --zstd-level N              initramfs zstd level, 1..19 (default 3)
  --squashfs-comp zstd|lz4    rootfs compressor (default zstd)
  --squashfs-level N          rootfs zstd level, 1..22 (default 9)
  --initramfs stage1|compact  stage1: the binary in the initramfs mounts the root (default);
                              compact: /init mounts it and execs /sbin/init (no Bun in the initramfs)
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
  const initramfsLayout = values.initramfs ?? "stage1";
  if (initramfsLayout !== "stage1" && initramfsLayout !== "compact") {
    throw new ImageError(
      "BadInput",
      `--initramfs must be stage1 or compact, got ${JSON.stringify(initramfsLayout)}`,
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
    initramfsZstdLevel: integer(values["zstd-level"], "--zstd-level", 1, 19, 3),
    squashfs:
      comp === "zstd"
        ? { compressor: "zstd", level: integer(values["squashfs-level"], "--squashfs-level", 1, 22, 9) }
        : { compressor: "lz4" },
    outputCache: parsed["no-output-cache"] !== true,
    initramfsLayout,
    disk: parsed["no-disk"] !== true,
  };
}
