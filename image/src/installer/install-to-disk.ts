import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ImageError } from "../image-error.ts";
import { type RunTool, runTool } from "../run-tool.ts";
import { biosBootSectors } from "./bios-boot.ts";
import { inspectDisk, partitionDevice, REAL_SYSTEM_FILES, type SystemFiles } from "./block-device.ts";
import {
  emptyGrubEnv,
  encodeSlotRecord,
  GRUBENV_PATH,
  META_COPIES,
  META_RECORD_BYTES,
} from "./boot-slots.ts";
import {
  bootSlotMiB,
  type DiskLayout,
  layoutUuid,
  MIB,
  type PartitionPlan,
  planLayout,
  sfdiskScript,
} from "./disk-layout.ts";
import { GRUB_MODULES, grubConfig, grubEarlyConfig } from "./grub-config.ts";
import { InstallerError } from "./installer-error.ts";
import { type InstallPlatform, kernelCommandLine } from "./kernel-command-line.ts";

/** The artifacts an install copies from the image's output directory. */
export const INSTALL_ARTIFACTS = ["vmlinuz", "initramfs.zst", "cmdline"] as const;

/** Where grub.cfg is, on the EFI partition. */
export const GRUB_CFG_PATH = "boot/grub/grub.cfg";

export interface InstallOptions {
  /** The whole disk, e.g. /dev/sdb or a loop device. */
  readonly device: string;
  /** The image's outputs (vmlinuz, initramfs.zst, cmdline), e.g. `_out`. */
  readonly artifactsDir: string;
  readonly platform: InstallPlatform;
  /** Written into the kernel arguments as `bronze.config=`. */
  readonly configUrl?: string;
  /** Erase a disk that holds partitions or a filesystem (otherwise refused). */
  readonly wipe: boolean;
  readonly log: (line: string) => void;
  /** Kernel arguments appended after the image's and the installer's. */
  readonly extraKernelArgs?: readonly string[];
  /** Makes partition and filesystem UUIDs a function of this seed (reproducible disks). */
  readonly seed?: string;
  readonly grubTimeoutSeconds?: number;
  /** With a seed: the filesystems' timestamps (E2FSPROGS_FAKE_TIME). */
  readonly sourceDateEpoch?: number;
  readonly run?: RunTool;
  readonly files?: SystemFiles;
  /** Where the installer's temporary files go (default: the OS's; a node's root is read-only). */
  readonly workDir?: string;
}

export interface InstallResult {
  readonly device: string;
  readonly layout: DiskLayout;
  readonly kernelArgs: readonly string[];
  readonly grubCfg: string;
}

/** Runs a tool; its failure becomes InstallerError(ToolFailed). */
function toolRunner(run: RunTool): RunTool {
  return async (argv, options) => {
    try {
      return await run(argv, options);
    } catch (cause) {
      if (cause instanceof ImageError) throw new InstallerError("ToolFailed", cause.message, { cause });
      throw cause;
    }
  };
}

/** Where Debian's grub-pc-bin and grub-efi-amd64-bin put GRUB's modules. */
export const GRUB_LIB = "/usr/lib/grub";

/** A FAT volume id (8 hex digits) from a UUID. */
export function fatVolumeId(uuid: string): string {
  return uuid.replaceAll("-", "").slice(0, 8).toUpperCase();
}

/** How GRUB and blkid spell a FAT volume id: `1234-ABCD`. */
export function fatFsUuid(volumeId: string): string {
  return `${volumeId.slice(0, 4)}-${volumeId.slice(4)}`.toUpperCase();
}

/** A hard link when both are on one filesystem (a node installs from a tmpfs: no second copy in RAM). */
function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/**
 * Writes Bronze to a disk: the GPT layout (BIOS boot, EFI, BOOT-A, BOOT-B, META, STATE, EPHEMERAL),
 * filesystems, vmlinuz and initramfs.zst into slot A, the boot state (slot A committed) on META, GRUB for BIOS and EFI with grub.cfg holding the
 * kernel arguments (and `bronze.config=` when a config URL is given). Refuses a mounted disk, and a disk
 * holding partitions or a filesystem unless `wipe`. Everything it mounts is unmounted, even on failure.
 */
export async function installToDisk(options: InstallOptions): Promise<InstallResult> {
  const run = toolRunner(options.run ?? runTool);
  const files = options.files ?? REAL_SYSTEM_FILES;
  const { log } = options;

  for (const name of INSTALL_ARTIFACTS) {
    const path = join(options.artifactsDir, name);
    if (!existsSync(path) || !statSync(path).isFile())
      throw new InstallerError(
        "MissingArtifact",
        `${path} does not exist (build the image first: bun run image)`,
      );
  }
  const kernelArgs = kernelCommandLine({
    base: readFileSync(join(options.artifactsDir, "cmdline"), "utf8"),
    platform: options.platform,
    configUrl: options.configUrl,
    extra: options.extraKernelArgs,
  });
  const payload = ["vmlinuz", "initramfs.zst"].reduce(
    (n, f) => n + statSync(join(options.artifactsDir, f)).size,
    0,
  );

  const disk = inspectDisk(options.device, files);
  if (disk.mounts.length > 0)
    throw new InstallerError("Mounted", `${options.device} is in use: ${disk.mounts.join(", ")}`);
  const signatures = (await run(["wipefs", "--noheadings", "--output", "TYPE", disk.path])).trim();
  const holds = [
    ...(disk.partitions.length > 0 ? [`${disk.partitions.length} partition(s)`] : []),
    ...(signatures ? [`signatures: ${signatures.split("\n").join(", ")}`] : []),
  ];
  if (holds.length > 0 && !options.wipe)
    throw new InstallerError(
      "HasPartitions",
      `${options.device} is not empty (${holds.join("; ")}): pass --wipe to erase it`,
    );
  const layout = planLayout(disk.sizeBytes, bootSlotMiB(payload), options.seed);
  log(
    `installing to ${disk.path} (${Math.floor(disk.sizeBytes / 2 ** 20)} MiB, platform ${options.platform})`,
  );

  if (holds.length > 0) {
    log(`wiping ${disk.path} (${holds.join("; ")})`);
    for (const part of disk.partitions) await run(["wipefs", "--all", "--quiet", part]);
    await run(["wipefs", "--all", "--quiet", disk.path]);
  }

  log(`partitioning: ${layout.partitions.map((p) => `${p.name} ${p.sizeMiB} MiB`).join(", ")}`);
  await run(["sfdisk", "--quiet", "--no-reread", "--wipe", "always", disk.path], {
    input: sfdiskScript(layout),
  });
  await run(["partx", "--update", disk.path]);
  const devices = new Map<PartitionPlan, string>();
  for (const p of layout.partitions) devices.set(p, await partitionDevice(disk.path, p.number, files));
  const device = (name: string) => {
    const p = layout.partitions.find((x) => x.name === name) as PartitionPlan;
    return devices.get(p) as string;
  };

  // with a seed, every timestamp written is the source date (reproducible disk.raw)
  const epoch = options.seed === undefined ? undefined : (options.sourceDateEpoch ?? 0);
  const timeEnv: Record<string, string> =
    epoch === undefined ? {} : { SOURCE_DATE_EPOCH: String(epoch), E2FSPROGS_FAKE_TIME: String(epoch) };
  const uuids = new Map<string, string>();
  const fsUuid = (name: string) => {
    let uuid = uuids.get(name);
    if (uuid === undefined) {
      uuid = layoutUuid(options.seed, `fs-${name}`);
      uuids.set(name, uuid);
    }
    return uuid;
  };

  const slotUuids = { A: fsUuid("BOOT-A"), B: fsUuid("BOOT-B") };
  const grubCfg = grubConfig({ kernelArgs, slotUuids, timeoutSeconds: options.grubTimeoutSeconds });
  const work = mkdtempSync(join(options.workDir ?? tmpdir(), "bronze-install-"));
  try {
    for (const p of layout.partitions) {
      const dev = devices.get(p) as string;
      if (p.format === "none") {
        await run(["wipefs", "--all", "--quiet", dev]);
        continue;
      }
      log(`formatting ${p.name} (${p.format}) on ${dev}`);
      if (p.format === "vfat") {
        const invariant = epoch === undefined ? [] : ["--invariant"]; // the label's entry is stamped "now" otherwise
        await run(
          ["mkfs.vfat", "-F", "32", ...invariant, "-n", p.name, "-i", fatVolumeId(fsUuid(p.name)), dev],
          {
            env: timeEnv,
          },
        );
        continue;
      }
      // BOOT-A is filled at mkfs time (-d): nothing is mounted
      let content: string[] = [];
      if (p.name === "BOOT-A") {
        const slot = join(work, "boot-a");
        mkdirSync(slot);
        // with a seed the copies' times are set below: a link would restamp the artifacts themselves
        const place = epoch === undefined ? linkOrCopy : copyFileSync;
        for (const f of ["vmlinuz", "initramfs.zst"]) place(join(options.artifactsDir, f), join(slot, f));
        writeFileSync(join(slot, "cmdline"), `${kernelArgs.join(" ")}\n`);
        if (epoch !== undefined)
          for (const f of ["vmlinuz", "initramfs.zst", "cmdline", "."])
            utimesSync(join(slot, f), epoch, epoch);
        content = ["-d", slot];
        log(`slot A: vmlinuz, initramfs.zst (${(payload / 1e6).toFixed(1)} MB)`);
      }
      const extended =
        options.seed === undefined ? [] : ["-E", `hash_seed=${layoutUuid(options.seed, `hash-${p.name}`)}`];
      await run(["mkfs.ext4", "-q", "-F", "-L", p.name, "-U", fsUuid(p.name), ...extended, ...content, dev], {
        env: timeEnv,
      });
      if (content.length > 0 && epoch !== undefined) {
        // mkfs -d stamps the inodes' ctime with the current time
        const script = ["/vmlinuz", "/initramfs.zst", "/cmdline", "/"].map((f) => `sif ${f} ctime @${epoch}`);
        await run(["debugfs", "-w", "-f", "-", dev], { input: `${script.join("\n")}\n` });
      }
    }

    // GRUB images built here (grub-mkimage), written without mounting the FAT partition (mtools)
    const efi = device("EFI");
    const efiUuid = fatFsUuid(fatVolumeId(fsUuid("EFI")));
    const early = join(work, "early.cfg");
    writeFileSync(early, grubEarlyConfig(efiUuid));
    const bios = join(work, "i386-pc");
    mkdirSync(bios);
    log("GRUB for BIOS (core.img in the BIOS boot partition)");
    await run([
      "grub-mkimage",
      "--format=i386-pc",
      `--directory=${join(GRUB_LIB, "i386-pc")}`,
      `--config=${early}`,
      "--prefix=/boot/grub",
      `--output=${join(bios, "core.img")}`,
      "biosdisk",
      ...GRUB_MODULES,
    ]);
    const biosPart = layout.partitions.find((p) => p.name === "BIOS") as PartitionPlan;
    const lba = (biosPart.startMiB * MIB) / 512;
    const fd = openSync(disk.path, "r+");
    try {
      const currentMbr = new Uint8Array(512);
      readSync(fd, currentMbr, 0, 512, 0);
      const { mbr, core } = biosBootSectors(
        readFileSync(join(GRUB_LIB, "i386-pc/boot.img")),
        readFileSync(join(bios, "core.img")),
        currentMbr,
        lba,
        (biosPart.sizeMiB * MIB) / 512,
      );
      writeSync(fd, core, 0, core.length, lba * 512);
      writeSync(fd, mbr, 0, mbr.length, 0);
      // the boot state: slot A committed (copy 0), copy 1 blank (boot-slots.ts)
      const meta = layout.partitions.find((p) => p.name === "META") as PartitionPlan;
      const records = new Uint8Array(META_COPIES * META_RECORD_BYTES);
      records.set(encodeSlotRecord({ seq: 1, committed: "A" }), 0);
      writeSync(fd, records, 0, records.length, meta.startMiB * MIB);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    log("GRUB for EFI (EFI/BOOT/BOOTX64.EFI)");
    const efiImage = join(work, "BOOTX64.EFI");
    await run([
      "grub-mkimage",
      "--format=x86_64-efi",
      `--directory=${join(GRUB_LIB, "x86_64-efi")}`,
      `--config=${early}`,
      "--prefix=/boot/grub",
      `--output=${efiImage}`,
      "efi_gop",
      "efi_uga",
      ...GRUB_MODULES,
    ]);
    // the EFI partition's tree, copied in one go with its timestamps (-m; mtools's own mkdir stamps "now")
    const efiRoot = join(work, "efi");
    mkdirSync(join(efiRoot, "EFI/BOOT"), { recursive: true });
    mkdirSync(join(efiRoot, "boot/grub"), { recursive: true });
    copyFileSync(efiImage, join(efiRoot, "EFI/BOOT/BOOTX64.EFI"));
    writeFileSync(join(efiRoot, GRUB_CFG_PATH), grubCfg);
    writeFileSync(join(efiRoot, GRUBENV_PATH), emptyGrubEnv());
    if (epoch !== undefined)
      for (const f of [
        "EFI/BOOT/BOOTX64.EFI",
        "EFI/BOOT",
        "EFI",
        GRUB_CFG_PATH,
        GRUBENV_PATH,
        "boot/grub",
        "boot",
      ])
        utimesSync(join(efiRoot, f), epoch, epoch);
    await run(["mcopy", "-s", "-m", "-i", efi, join(efiRoot, "EFI"), join(efiRoot, "boot"), "::/"], {
      env: { ...timeEnv, MTOOLS_SKIP_CHECK: "1" },
    });
    log(`kernel arguments: ${kernelArgs.join(" ")}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  await run(["sync"]);
  log(`installed Bronze on ${disk.path}`);
  return { device: disk.path, layout, kernelArgs, grubCfg };
}
