import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { type TreeEntry, textFile } from "./file-tree.ts";
import { ImageError } from "./image-error.ts";
import { GRUB_LIB } from "./installer/install-to-disk.ts";
import { InstallerError } from "./installer/installer-error.ts";
import { type RunTool, runTool } from "./run-tool.ts";

/**
 * What the installer (installer/install-to-disk.ts) needs on a Bronze node, so that machined can run
 * it when `machine.install` asks for it: the tools it shells out to, their shared libraries' packages,
 * GRUB's module directories, mke2fs's configuration and glibc's code page 850 converter. The image build adds them to rootfs.sqsh.
 */

/** One program the installer runs, by the name it calls it (argv[0]). */
export interface InstallerTool {
  /** The name install-to-disk.ts runs it by, e.g. `mkfs.ext4`. */
  readonly name: string;
  /** The Debian package that ships it. */
  readonly package: string;
  /** The ELF file inside the unpacked package (symlinks resolved: the real program). */
  readonly source: string;
  /**
   * Where the rootfs has it (where Debian has it, /usr merged). The file keeps the name the installer calls it by: mke2fs picks ext4
   * from `mkfs.ext4`, and mtools dispatches on `mcopy`.
   */
  readonly path: string;
}

export const INSTALLER_TOOLS: readonly InstallerTool[] = [
  { name: "wipefs", package: "util-linux", source: "sbin/wipefs", path: "/usr/sbin/wipefs" },
  { name: "partx", package: "util-linux", source: "usr/bin/partx", path: "/usr/bin/partx" },
  { name: "sfdisk", package: "fdisk", source: "sbin/sfdisk", path: "/usr/sbin/sfdisk" },
  { name: "mkfs.vfat", package: "dosfstools", source: "sbin/mkfs.fat", path: "/usr/sbin/mkfs.vfat" },
  { name: "mkfs.ext4", package: "e2fsprogs", source: "sbin/mke2fs", path: "/usr/sbin/mkfs.ext4" },
  { name: "mcopy", package: "mtools", source: "usr/bin/mtools", path: "/usr/bin/mcopy" },
  {
    name: "grub-mkimage",
    package: "grub-common",
    source: "usr/bin/grub-mkimage",
    path: "/usr/bin/grub-mkimage",
  },
];

/** The shared libraries' packages (glibc's libc6 is in the image already). */
export const INSTALLER_LIBRARY_PACKAGES = [
  "libblkid1",
  "libsmartcols1",
  "libfdisk1",
  "libuuid1",
  "libtinfo6",
  "libreadline8",
  "libext2fs2",
  "libcom-err2",
  "liblzma5",
  "libdevmapper1.02.1",
  "libselinux1",
  "libudev1",
  "libpcre2-8-0",
] as const;

/** A directory or file shipped as is (filtered), from a package into the rootfs. */
export interface InstallerData {
  readonly package: string;
  /** Inside the unpacked package. */
  readonly source: string;
  /** In the rootfs. */
  readonly path: string;
}

/** glibc's iconv modules directory: mtools converts FAT names through code page 850. */
export const GCONV_DIR = "/usr/lib/x86_64-linux-gnu/gconv";

/**
 * GRUB's BIOS and EFI module directories (grub-mkimage reads them), mke2fs's defaults, and glibc's
 * IBM850 converter (without it mcopy fails: "Error converting to codepage 850").
 */
export const INSTALLER_DATA: readonly InstallerData[] = [
  { package: "grub-pc-bin", source: "usr/lib/grub/i386-pc", path: `${GRUB_LIB}/i386-pc` },
  { package: "grub-efi-amd64-bin", source: "usr/lib/grub/x86_64-efi", path: `${GRUB_LIB}/x86_64-efi` },
  { package: "e2fsprogs", source: "etc/mke2fs.conf", path: "/etc/mke2fs.conf" },
  { package: "libc6", source: `${GCONV_DIR.slice(1)}/IBM850.so`, path: `${GCONV_DIR}/IBM850.so` },
];

/** glibc's gconv-modules for the one converter shipped (Debian's full list names hundreds). */
export const GCONV_MODULES = [
  "alias\tCP850//\t\t\tIBM850//",
  "alias\t850//\t\t\tIBM850//",
  "module\tIBM850//\t\tINTERNAL\t\tIBM850\t\t1",
  "module\tINTERNAL\t\tIBM850//\t\tIBM850\t\t1",
  "",
].join("\n");

/** Packages the image has already (glibc). */
const IN_IMAGE = new Set(["libc6"]);

/** Every package the installer's tools come from and the image lacks, each once, in a stable order. */
export const INSTALLER_PACKAGES: readonly string[] = [
  ...new Set([
    ...INSTALLER_TOOLS.map((t) => t.package),
    ...INSTALLER_DATA.map((d) => d.package),
    ...INSTALLER_LIBRARY_PACKAGES,
  ]),
].filter((p) => !IN_IMAGE.has(p));

/**
 * The files of a GRUB platform directory grub-mkimage uses: the modules (`*.mod`), their lists
 * (`moddep.lst`, ...), the images (`kernel.img`, `boot.img`, ...). Left out: the signed monolithic EFI
 * images (14 MB), helper programs and object files.
 */
export function isGrubImageFile(name: string): boolean {
  return /\.(mod|lst|img)$/.test(name);
}

export interface InstallerToolsTree {
  /** Rootfs entries: the tools, GRUB's module files, /etc/mke2fs.conf. */
  readonly entries: TreeEntry[];
  /** The tools' host paths, for shared-library resolution. */
  readonly binaries: ReadonlyArray<{ readonly name: string; readonly path: string }>;
}

/** The rootfs entries of the installer's tools, from the unpacked packages (`packageDir(name)`). */
export function installerToolsTree(packageDir: (pkg: string) => string): InstallerToolsTree {
  const entries: TreeEntry[] = [];
  const binaries: Array<{ name: string; path: string }> = [];
  const mustExist = (path: string, pkg: string) => {
    if (!existsSync(path)) throw new ImageError("NotFound", `installer tools: ${pkg} has no ${path}`);
    return path;
  };
  for (const tool of INSTALLER_TOOLS) {
    const source = mustExist(join(packageDir(tool.package), tool.source), tool.package);
    entries.push({ type: "file", path: tool.path, mode: 0o755, source });
    binaries.push({ name: tool.path, path: source });
  }
  for (const data of INSTALLER_DATA) {
    const source = mustExist(join(packageDir(data.package), data.source), data.package);
    if (!statSync(source).isDirectory()) {
      entries.push({ type: "file", path: data.path, mode: 0o644, source });
      continue;
    }
    const names = readdirSync(source)
      .filter((n) => isGrubImageFile(n) && statSync(join(source, n)).isFile())
      .sort();
    if (!names.includes("moddep.lst") || !names.includes("kernel.img"))
      throw new ImageError("NotFound", `installer tools: ${source} has no moddep.lst or kernel.img`);
    entries.push({ type: "dir", path: data.path, mode: 0o755 });
    for (const n of names)
      entries.push({ type: "file", path: `${data.path}/${n}`, mode: 0o644, source: join(source, n) });
  }
  entries.push(textFile(`${GCONV_DIR}/gconv-modules`, GCONV_MODULES));
  return { entries, binaries };
}

/**
 * A RunTool for the installer on a Bronze node: runs each tool from its rootfs path (a node has no
 * PATH to search), and turns `sync` (coreutils, absent from the rootfs) into the `sync` given (libc's).
 * A tool the rootfs does not have is an InstallerError(ToolFailed) naming it.
 */
export function installerToolRunner(sync: () => void, run: RunTool = runTool): RunTool {
  const paths = new Map(INSTALLER_TOOLS.map((t) => [t.name, t.path]));
  return async (argv, options) => {
    const [name, ...rest] = argv;
    if (name === "sync") {
      sync();
      return "";
    }
    const path = name === undefined ? undefined : paths.get(name);
    if (path === undefined)
      throw new InstallerError(
        "ToolFailed",
        `the installer asked for ${JSON.stringify(name)}, which the node's rootfs does not have (known: sync, ${[
          ...paths.keys(),
        ].join(", ")})`,
      );
    return run([path, ...rest], options);
  };
}
