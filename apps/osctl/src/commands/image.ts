// `osctl image install`: writes Bronze to a disk (docs/design.md §9 step 2): partitions, boot slot A,
// GRUB for BIOS and EFI, the kernel arguments with the config URL. Root only; refuses a disk in use,
// or holding partitions unless --wipe.
import { resolve } from "node:path";
import { INSTALL_PLATFORMS, type InstallOptions, type InstallPlatform, installToDisk } from "@bronze/image";
import { CliError, usageError } from "../cli-error.ts";
import type { Io } from "../io.ts";

export interface ImageInstallOptions {
  disk: string;
  platform: string;
  configUrl?: string;
  wipe: boolean;
  assets: string;
  extraKernelArg?: string[];
}

export interface ImageInstallDeps {
  readonly uid: () => number;
  readonly install: (options: InstallOptions) => Promise<unknown>;
}

const REAL_DEPS: ImageInstallDeps = { uid: () => process.getuid?.() ?? -1, install: installToDisk };

export async function imageInstall(
  options: ImageInstallOptions,
  io: Io,
  deps: ImageInstallDeps = REAL_DEPS,
): Promise<void> {
  if (!(INSTALL_PLATFORMS as readonly string[]).includes(options.platform))
    throw usageError(`--platform: "${options.platform}" (expected ${INSTALL_PLATFORMS.join(" or ")})`);
  if (deps.uid() !== 0)
    throw new CliError(
      "failed",
      `image install writes a disk's partition table and boot code: run it as root (e.g. sudo osctl image install --disk ${options.disk} ...)`,
    );
  try {
    await deps.install({
      device: options.disk,
      artifactsDir: resolve(io.cwd, options.assets),
      platform: options.platform as InstallPlatform,
      ...(options.configUrl !== undefined ? { configUrl: options.configUrl } : {}),
      wipe: options.wipe,
      extraKernelArgs: options.extraKernelArg ?? [],
      log: (line) => io.stdout(`${line}\n`),
    });
  } catch (error) {
    // InstallerError: recognised by name (the compiled osctl bundles each command separately)
    if (error instanceof Error && error.name === "InstallerError") {
      const code = (error as Error & { code: string }).code;
      throw new CliError(
        code === "ToolFailed" ? "failed" : "invalid-input",
        `image install: ${error.message}`,
      );
    }
    throw error;
  }
}
