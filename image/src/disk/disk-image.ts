import { closeSync, ftruncateSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { ImageError } from "../image-error.ts";
import { bootSlotMiB, MIB, minimumDiskMiB } from "../installer/disk-layout.ts";
import { type InstallResult, installToDisk } from "../installer/install-to-disk.ts";
import { InstallerError } from "../installer/installer-error.ts";
import type { InstallPlatform } from "../installer/kernel-command-line.ts";
import { type RunTool, runTool } from "../run-tool.ts";

/** EPHEMERAL's share of the default disk.raw, beyond the layout's minimum (grow the file to get more). */
export const DEFAULT_EPHEMERAL_EXTRA_MIB = 512;

export interface DiskImageOptions {
  /** The image's outputs: vmlinuz, initramfs.zst, cmdline. */
  readonly artifactsDir: string;
  /** The file to write, e.g. `_out/disk.raw` (sparse). */
  readonly output: string;
  readonly platform: InstallPlatform;
  /** Default: the layout's minimum plus DEFAULT_EPHEMERAL_EXTRA_MIB. */
  readonly sizeMiB?: number;
  readonly configUrl?: string;
  readonly extraKernelArgs?: readonly string[];
  /** Partition and filesystem UUIDs derived from it (and filesystem times from sourceDateEpoch). */
  readonly seed?: string;
  readonly sourceDateEpoch?: number;
  readonly grubTimeoutSeconds?: number;
  readonly run?: RunTool;
  readonly log: (line: string) => void;
}

export interface DiskImage {
  readonly path: string;
  readonly sizeBytes: number;
  readonly install: InstallResult;
}

/**
 * Builds a bootable raw disk: a sparse file attached to a new loop device, installed onto with the
 * installer (the very code `osctl image install` runs), then detached (always, even on failure).
 */
export async function buildDiskImage(options: DiskImageOptions): Promise<DiskImage> {
  const run = options.run ?? runTool;
  const payload = ["vmlinuz", "initramfs.zst"].reduce((n, f) => {
    try {
      return n + statSync(join(options.artifactsDir, f)).size;
    } catch {
      throw new InstallerError("MissingArtifact", `${join(options.artifactsDir, f)} does not exist`);
    }
  }, 0);
  const minimum = minimumDiskMiB(bootSlotMiB(payload));
  const sizeMiB = options.sizeMiB ?? minimum + DEFAULT_EPHEMERAL_EXTRA_MIB;
  if (!Number.isInteger(sizeMiB) || sizeMiB < minimum)
    throw new InstallerError(
      "TooSmall",
      `disk image size ${sizeMiB} MiB: the layout needs at least ${minimum} MiB`,
    );

  const partial = `${options.output}.partial`;
  rmSync(partial, { force: true });
  const fd = openSync(partial, "w");
  try {
    ftruncateSync(fd, sizeMiB * MIB);
  } finally {
    closeSync(fd);
  }
  let device: string;
  try {
    device = (await run(["losetup", "--find", "--show", "--partscan", partial])).trim();
  } catch (cause) {
    rmSync(partial, { force: true });
    if (cause instanceof ImageError)
      throw new InstallerError("ToolFailed", `cannot attach ${partial} to a loop device: ${cause.message}`, {
        cause,
      });
    throw cause;
  }
  if (!/^\/dev\/loop\d+$/.test(device)) {
    rmSync(partial, { force: true });
    throw new InstallerError("ToolFailed", `losetup printed ${JSON.stringify(device)}, not a loop device`);
  }
  let install: InstallResult;
  try {
    install = await installToDisk({
      device,
      artifactsDir: options.artifactsDir,
      platform: options.platform,
      configUrl: options.configUrl,
      extraKernelArgs: options.extraKernelArgs,
      seed: options.seed,
      sourceDateEpoch: options.sourceDateEpoch,
      grubTimeoutSeconds: options.grubTimeoutSeconds,
      wipe: false,
      run,
      log: options.log,
    });
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    await run(["losetup", "--detach", device]).catch((err: Error) =>
      options.log(`cannot detach ${device}: ${err.message}`),
    );
  }
  renameSync(partial, options.output);
  return { path: options.output, sizeBytes: sizeMiB * MIB, install };
}
