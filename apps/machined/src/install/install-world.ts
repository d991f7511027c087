import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync } from "node:fs";
import { basename, join } from "node:path";
import type { FetchFn } from "../config/config-acquisition.ts";
import { ConfigStore } from "../config/config-store.ts";
import type { Sys } from "../sys/sys.ts";
import { type BlockDeviceFiles, REAL_BLOCK_DEVICE_FILES } from "./block-devices.ts";
import type { DiskInstallRequest, InstallWorld } from "./machine-install.ts";
import { STATE_MOUNT_FLAGS, STATE_PARTITION } from "./partitions.ts";

/** The device node of partition `number` of `disk`, from sysfs (no udev on a node). */
export function partitionNode(
  disk: string,
  number: number,
  files: BlockDeviceFiles = REAL_BLOCK_DEVICE_FILES,
): string {
  const name = basename(disk);
  const dir = join(files.sysClassBlock, name);
  for (const entry of existsSync(dir) ? readdirSync(dir) : []) {
    const file = join(dir, entry, "partition");
    if (entry.startsWith(name) && existsSync(file) && Number(readFileSync(file, "utf8").trim()) === number)
      return join(files.dev, entry);
  }
  throw new Error(`${disk} has no partition ${number} in ${dir}`);
}

export interface RealInstallWorldOptions {
  readonly sys: Sys;
  readonly fetch: FetchFn;
  readonly reboot: () => Promise<void> | void;
  readonly workDir: string;
  readonly log: (line: string) => void;
  readonly files?: BlockDeviceFiles;
}

/**
 * The install world of a real node: @bronze/image's installToDisk, loaded only when an install runs
 * (machined's startup does not pay for it), with the tools from the rootfs; the config saved by
 * mounting the new STATE partition.
 */
export function realInstallWorld(options: RealInstallWorldOptions): InstallWorld {
  const { sys, log } = options;
  return {
    fetch: options.fetch,
    workDir: options.workDir,
    log,
    reboot: options.reboot,
    async checkDisk(disk: string, wipe: boolean) {
      const image = await import("@bronze/image");
      const info = image.inspectDisk(disk);
      if (info.mounts.length > 0)
        throw new image.InstallerError("Mounted", `${disk} is in use: ${info.mounts.join(", ")}`);
      if (info.partitions.length > 0 && !wipe)
        throw new image.InstallerError(
          "HasPartitions",
          `${disk} is not empty (${info.partitions.length} partition(s)): pass --wipe to erase it`,
        );
    },
    async installToDisk(request: DiskInstallRequest) {
      const image = await import("@bronze/image");
      mkdirSync(request.workDir, { recursive: true, mode: 0o700 });
      const result = await image.installToDisk({
        device: request.device,
        artifactsDir: request.artifactsDir,
        platform: request.platform,
        wipe: request.wipe,
        extraKernelArgs: request.extraKernelArgs,
        workDir: request.workDir,
        log: request.log,
        run: image.installerToolRunner(() => sys.sync()),
      });
      const state = result.layout.partitions.find((p) => p.name === STATE_PARTITION);
      if (state === undefined)
        throw new Error(`the layout written to ${result.device} has no STATE partition`);
      return { statePartition: partitionNode(result.device, state.number, options.files) };
    },
    saveConfig(statePartition, text) {
      const target = join(options.workDir, "state");
      mkdirSync(target, { recursive: true, mode: 0o700 });
      sys.mount(statePartition, target, "ext4", STATE_MOUNT_FLAGS, null);
      try {
        new ConfigStore(target).save(text);
        sys.sync();
      } finally {
        sys.umount2(target, 0);
        rmdirSync(target);
      }
    },
  };
}
