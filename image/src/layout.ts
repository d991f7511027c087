import type { TreeEntry } from "./file-tree.ts";
import { textFile } from "./file-tree.ts";
import { formatModulesDep, type ModulesDep } from "./module-deps.ts";
import { buildMountShim } from "./mount-shim.ts";
import type { ResolvedLibraries } from "./shared-libraries.ts";

/**
 * Where things live in the initramfs and the squashfs root: the contract between the image build
 * and stage 1 / machined.
 *
 * initramfs:  /init (the shim) execs /stage1 (the multi-call binary, argv[0] "/stage1");
 *             /rootfs.sqsh; /etc/bronze/modules (the module names to load, one a line);
 *             /lib/modules/<abi>/{kernel/...,modules.dep,modules.builtin,modules.load}
 *             (modules.dep: the shipped modules only; modules.load: their paths in load order);
 *             glibc under /lib/x86_64-linux-gnu; empty /proc /sys /newroot /tmp; /dev/{console,kmsg,null}.
 * rootfs:     /sbin/init (the same binary), containerd, its runc shim, runc, etcd, CA bundle, /etc,
 *             the installer's tools (sfdisk, mkfs.*, grub-mkimage, mcopy...) and GRUB's modules.
 */
export const STAGE1_PATH = "/stage1";
export const STAGE1_ARGV: readonly string[] = ["/stage1"];
export const ROOTFS_IMAGE_PATH = "/rootfs.sqsh";
export const NEWROOT_PATH = "/newroot";
export const LIBRARY_DIR = "/lib/x86_64-linux-gnu";
export const CA_BUNDLE_PATH = "/etc/ssl/certs/ca-certificates.crt";
/** What stage 1 loads (one module name a line), resolved by it against modules.dep. */
export const MODULE_LIST_PATH = "/etc/bronze/modules";

/** The libraries as regular files in LIBRARY_DIR, and each interpreter as a symlink into it. */
export function libraryEntries(resolved: ResolvedLibraries): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const [soname, source] of resolved.libraries) {
    entries.push({ type: "file", path: `${LIBRARY_DIR}/${soname}`, mode: 0o755, source });
  }
  for (const interpreter of resolved.interpreters) {
    const base = interpreter.slice(interpreter.lastIndexOf("/") + 1);
    if (`${LIBRARY_DIR}/${base}` !== interpreter) {
      entries.push({ type: "symlink", path: interpreter, target: `${LIBRARY_DIR}/${base}` });
    }
  }
  return entries;
}

export interface InitramfsInputs {
  readonly shim: Uint8Array;
  /** Host path of the compiled multi-call binary. */
  readonly stage1: string;
  readonly libraries: ResolvedLibraries;
  readonly abi: string;
  /** Host path of the unpacked `lib/modules/<abi>` directory. */
  readonly moduleDir: string;
  /** Module paths relative to moduleDir, in load order. */
  readonly modules: readonly string[];
  readonly modulesDep: ModulesDep;
  /** The module names stage 1 is asked to load (`/etc/bronze/modules`), as the profile lists them. */
  readonly moduleRequests: readonly string[];
  /** Host path of the kernel's modules.builtin, shipped as is (stage 1 skips built-in modules). */
  readonly modulesBuiltin: string;
  /** Host path of rootfs.sqsh. */
  readonly rootfs: string;
}

export function initramfsTree(inputs: InitramfsInputs): TreeEntry[] {
  const moduleBase = `/lib/modules/${inputs.abi}`;
  return [
    { type: "file", path: "/init", mode: 0o755, data: inputs.shim },
    { type: "file", path: STAGE1_PATH, mode: 0o755, source: inputs.stage1 },
    { type: "file", path: ROOTFS_IMAGE_PATH, mode: 0o644, source: inputs.rootfs },
    ...libraryEntries(inputs.libraries),
    ...inputs.modules.map(
      (m): TreeEntry => ({
        type: "file",
        path: `${moduleBase}/${m}`,
        mode: 0o644,
        source: `${inputs.moduleDir}/${m}`,
      }),
    ),
    textFile(`${moduleBase}/modules.dep`, formatModulesDep(inputs.modulesDep, inputs.modules)),
    textFile(`${moduleBase}/modules.load`, inputs.modules.map((m) => `${m}\n`).join("")),
    { type: "file", path: `${moduleBase}/modules.builtin`, mode: 0o644, source: inputs.modulesBuiltin },
    textFile(MODULE_LIST_PATH, inputs.moduleRequests.map((m) => `${m}\n`).join("")),
    { type: "dir", path: "/proc", mode: 0o555 },
    { type: "dir", path: "/sys", mode: 0o555 },
    { type: "dir", path: "/dev", mode: 0o755 },
    { type: "char", path: "/dev/console", mode: 0o600, major: 5, minor: 1 },
    // the last console= (tty0 by default) is /dev/console; /dev/kmsg reaches every console
    { type: "char", path: "/dev/kmsg", mode: 0o644, major: 1, minor: 11 },
    { type: "char", path: "/dev/null", mode: 0o666, major: 1, minor: 3 },
    { type: "dir", path: NEWROOT_PATH, mode: 0o755 },
    { type: "dir", path: "/tmp", mode: 0o1777 },
  ];
}

export interface CompactInitramfsInputs {
  readonly abi: string;
  /** Host path of the unpacked `lib/modules/<abi>` directory. */
  readonly moduleDir: string;
  /** Module paths relative to moduleDir, in load order. */
  readonly modules: readonly string[];
  /** Host path of rootfs.sqsh. */
  readonly rootfs: string;
  /** Parameters by module name (profiles.ts's MODULE_PARAMS). */
  readonly moduleParams?: Readonly<Record<string, string>>;
}

export const LOOP_DEVICE_PATH = "/dev/loop0";
export const INIT_PATH = "/sbin/init";

/**
 * The compact initramfs: no Bun, no glibc. Its /init (the mount shim) loads the modules, mounts
 * rootfs.sqsh as the root and execs /sbin/init from it, with /proc, /sys and /dev mounted; stage 1
 * is skipped, so machined starts directly (its argv[0] is /sbin/init).
 */
export function compactInitramfsTree(inputs: CompactInitramfsInputs): TreeEntry[] {
  const moduleBase = `/lib/modules/${inputs.abi}`;
  const shim = buildMountShim({
    modules: inputs.modules.map((m) => `${moduleBase}/${m}`),
    ...(inputs.moduleParams === undefined ? {} : { moduleParams: inputs.moduleParams }),
    image: ROOTFS_IMAGE_PATH,
    loopDevice: LOOP_DEVICE_PATH,
    newRoot: NEWROOT_PATH,
    init: INIT_PATH,
    argv: [INIT_PATH],
  });
  return [
    { type: "file", path: "/init", mode: 0o755, data: shim },
    { type: "file", path: ROOTFS_IMAGE_PATH, mode: 0o644, source: inputs.rootfs },
    ...inputs.modules.map(
      (m): TreeEntry => ({
        type: "file",
        path: `${moduleBase}/${m}`,
        mode: 0o644,
        source: `${inputs.moduleDir}/${m}`,
      }),
    ),
    { type: "dir", path: "/dev", mode: 0o755 },
    { type: "char", path: "/dev/console", mode: 0o600, major: 5, minor: 1 },
    { type: "char", path: "/dev/kmsg", mode: 0o644, major: 1, minor: 11 },
    { type: "char", path: "/dev/null", mode: 0o666, major: 1, minor: 3 },
    { type: "block", path: LOOP_DEVICE_PATH, mode: 0o600, major: 7, minor: 0 },
    { type: "dir", path: NEWROOT_PATH, mode: 0o755 },
  ];
}

export interface RootfsInputs {
  /** Host paths. */
  readonly node: string;
  readonly containerd: string;
  readonly containerdShim: string;
  readonly runc: string;
  readonly etcd: string;
  readonly libraries: ResolvedLibraries;
  /** Root-relative path => content (the /etc skeleton). */
  readonly etc: ReadonlyMap<string, string>;
  readonly caBundle: string;
  /** More entries: the installer's tools and GRUB's modules (installer-tools.ts). */
  readonly extra?: readonly TreeEntry[];
}

/** Mount points and state directories: empty in the image, filled at boot. */
export const ROOTFS_MOUNT_POINTS: ReadonlyArray<readonly [path: string, mode: number]> = [
  ["/proc", 0o555],
  ["/sys", 0o555],
  ["/dev", 0o755],
  ["/system", 0o755],
  ["/var", 0o755],
  ["/run", 0o755],
  ["/tmp", 0o1777],
  ["/etc/kubernetes", 0o755],
];

export function rootfsTree(inputs: RootfsInputs): TreeEntry[] {
  return [
    { type: "file", path: INIT_PATH, mode: 0o755, source: inputs.node },
    { type: "file", path: "/usr/bin/containerd", mode: 0o755, source: inputs.containerd },
    { type: "file", path: "/usr/bin/containerd-shim-runc-v2", mode: 0o755, source: inputs.containerdShim },
    { type: "file", path: "/usr/sbin/runc", mode: 0o755, source: inputs.runc },
    { type: "symlink", path: "/usr/bin/runc", target: "../sbin/runc" },
    // machined writes resolv.conf under /system (the root is read-only); containers mount /etc/resolv.conf
    { type: "symlink", path: "/etc/resolv.conf", target: "../system/etc/resolv.conf" },
    { type: "file", path: "/usr/bin/etcd", mode: 0o755, source: inputs.etcd },
    ...libraryEntries(inputs.libraries),
    ...[...inputs.etc].map(([path, text]) => textFile(path, text)),
    textFile(CA_BUNDLE_PATH, inputs.caBundle),
    ...ROOTFS_MOUNT_POINTS.map(([path, mode]): TreeEntry => ({ type: "dir", path, mode })),
    ...(inputs.extra ?? []),
  ];
}
