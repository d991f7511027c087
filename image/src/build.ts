import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { bootIpxe } from "./boot-ipxe.ts";
import { caBundle } from "./ca-bundle.ts";
import { writeCpio } from "./cpio-writer.ts";
import { DebCache } from "./deb-cache.ts";
import { buildDiskImage } from "./disk/disk-image.ts";
import { etcSkeleton } from "./etc-skeleton.ts";
import { materializeTree, toCpioEntries, treeDigest } from "./file-tree.ts";
import { ImageError } from "./image-error.ts";
import { buildInitShim } from "./init-shim.ts";
import { INSTALLER_LIBRARY_PACKAGES, INSTALLER_PACKAGES, installerToolsTree } from "./installer-tools.ts";
import { parseKernelAbi } from "./kernel-abi.ts";
import { compactInitramfsTree, initramfsTree, rootfsTree, STAGE1_ARGV, STAGE1_PATH } from "./layout.ts";
import { formatManifest, type Manifest, manifestFile, manifestFileAt } from "./manifest.ts";
import { parseModulesBuiltin, parseModulesDep, resolveModules } from "./module-deps.ts";
import { compileNodeBinary } from "./node-binary.ts";
import { OutputCache } from "./output-cache.ts";
import type { Profile } from "./profiles.ts";
import { kernelCmdline, MODULE_PARAMS } from "./profiles.ts";
import { Progress } from "./progress.ts";
import type { RunTool } from "./run-tool.ts";
import { type LibraryLookup, resolveSharedLibraries } from "./shared-libraries.ts";
import {
  DEFAULT_SQUASHFS_BLOCK,
  DEFAULT_SQUASHFS_ZSTD_LEVEL,
  mksquashfs,
  mksquashfsArgs,
  type SquashfsOptions,
} from "./squashfs.ts";
import { withWorkLock } from "./work-lock.ts";
import { zstdArgs, zstdCompress } from "./zstd.ts";

export interface BuildOptions {
  readonly profile: Profile;
  /** Where the artifacts go (created). */
  readonly outDir: string;
  /** Package cache and work space, e.g. `.cache/image`. */
  readonly cacheDir: string;
  /** The multi-call binary's entry point (compiled with `bun build --compile`). */
  readonly nodeEntry: string;
  readonly sourceDateEpoch: number;
  readonly version: string;
  readonly initramfsZstdLevel: number;
  readonly squashfs: Omit<SquashfsOptions, "sourceDateEpoch">;
  readonly run: RunTool;
  readonly log: (line: string) => void;
  readonly now?: () => number;
  /**
   * `compact` (default): the shim loads the modules, mounts the root itself and execs /sbin/init
   * (machined) from it; no Bun in the initramfs. `stage1`: the shim execs the binary in the
   * initramfs, which mounts the root (it carries the binary twice: 576 MB of RAM to unpack).
   */
  readonly initramfsLayout?: InitramfsLayout;
  /** Reuse rootfs.sqsh / initramfs.zst built from identical inputs (default true). */
  readonly outputCache?: boolean;
  /** Build disk.raw (default true; needs root and loop devices). */
  readonly disk?: boolean;
}

export type InitramfsLayout = "stage1" | "compact";

export interface BuildResult {
  readonly manifest: Manifest;
  readonly timings: ReadonlyArray<{ readonly name: string; readonly seconds: number }>;
}

/** The artifacts, in manifest order. */
export const ARTIFACTS = [
  "vmlinuz",
  "initramfs.zst",
  "rootfs.sqsh",
  "cmdline",
  "boot.ipxe",
  "disk.raw",
] as const;
/** The artifacts without disk.raw (`disk: false`). */
export const NETWORK_BOOT_ARTIFACTS = ARTIFACTS.filter((a) => a !== "disk.raw");

const USERLAND_PACKAGES = [
  "containerd",
  "runc",
  "libseccomp2",
  "etcd-server",
  "ca-certificates",
  "libc6",
] as const;
const STEPS = 10;

function filesUnder(dir: string, suffix: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(suffix)) out.push(path);
    }
  };
  walk(dir);
  return out.sort();
}

function mustExist(path: string, what: string): string {
  if (!existsSync(path)) throw new ImageError("NotFound", `${what}: ${path} does not exist`);
  return path;
}

/** Looks libraries up in the multiarch directories of unpacked packages (symlinks resolved). */
export function unpackedLibraryLookup(roots: readonly string[]): LibraryLookup {
  return {
    find(soname) {
      for (const root of roots) {
        for (const dir of ["lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu"]) {
          const path = join(root, dir, soname);
          if (existsSync(path)) return realpathSync(path);
        }
      }
      return undefined;
    },
    read: (path) => readFileSync(path),
  };
}

/** Builds vmlinuz, initramfs.zst, rootfs.sqsh, cmdline, boot.ipxe, disk.raw and manifest.json into outDir. */
export async function buildImage(options: BuildOptions): Promise<BuildResult> {
  // one build at a time per work directory (tests build images from parallel processes)
  mkdirSync(join(options.cacheDir, "work"), { recursive: true });
  return withWorkLock(
    join(options.cacheDir, "work", `${options.profile.name}.lock`),
    () => buildLocked(options),
    {
      log: options.log,
    },
  );
}

async function buildLocked(options: BuildOptions): Promise<BuildResult> {
  const { profile, run, outDir } = options;
  const progress = new Progress(STEPS, options.log, options.now);
  const cache = new DebCache(options.cacheDir, run);
  const work = join(options.cacheDir, "work", profile.name);
  const outputs = new OutputCache(join(options.cacheDir, "outputs", profile.name));
  mkdirSync(work, { recursive: true });
  mkdirSync(outDir, { recursive: true });

  const { kernel, refs } = await progress.step("resolve packages", async (note) => {
    const kernel = parseKernelAbi(
      profile.kernelMetapackage,
      await run(["apt-cache", "depends", profile.kernelMetapackage]),
    );
    const refs = await cache.resolve([kernel.package, ...USERLAND_PACKAGES, ...INSTALLER_PACKAGES]);
    note(`kernel ${kernel.abi}`);
    return { kernel, refs };
  });

  await progress.step("download packages", async (note) => {
    const { downloaded } = await cache.fetch(refs);
    note(`${refs.length} packages, ${downloaded} downloaded`);
  });

  const dirs = await progress.step("unpack packages", async () => {
    const dirs = new Map<string, string>();
    for (const r of refs) dirs.set(r.package, await cache.unpack(r));
    const moduleDir = join(dirs.get(kernel.package) as string, "lib/modules", kernel.abi);
    if (!existsSync(join(moduleDir, "modules.dep"))) {
      // Debian generates modules.dep at install time; do it the same way, inside the unpacked tree
      await run(["depmod", "-b", dirs.get(kernel.package) as string, kernel.abi]);
    }
    return dirs;
  });
  const dir = (pkg: string) => dirs.get(pkg) as string;
  const kernelDir = dir(kernel.package);
  const moduleDir = join(kernelDir, "lib/modules", kernel.abi);

  const node = await progress.step("compile node binary", async (note) => {
    const path = await compileNodeBinary(run, options.nodeEntry, work);
    note(`${(Bun.file(path).size / 1e6).toFixed(0)} MB from ${options.nodeEntry}`);
    return path;
  });

  const modules = await progress.step("kernel modules", (note) => {
    const depPath = join(moduleDir, "modules.dep");
    const dep = parseModulesDep(readFileSync(depPath, "utf8"), depPath);
    const builtinPath = mustExist(join(moduleDir, "modules.builtin"), kernel.package);
    const builtin = parseModulesBuiltin(readFileSync(builtinPath, "utf8"));
    const resolved = resolveModules(dep, profile.modules, builtin);
    note(
      `${resolved.load.length} to load${resolved.builtin.length ? `, built in: ${resolved.builtin.join(" ")}` : ""}`,
    );
    return { dep, load: resolved.load };
  });

  const lookup = unpackedLibraryLookup([
    dir("libc6"),
    dir("libseccomp2"),
    ...INSTALLER_LIBRARY_PACKAGES.map((p) => dir(p)),
  ]);
  const nodeBytes = readFileSync(node);
  const rootfsOut = join(outDir, "rootfs.sqsh");
  await progress.step("squashfs rootfs", async (note) => {
    const binaries = {
      containerd: mustExist(join(dir("containerd"), "usr/bin/containerd"), "containerd"),
      containerdShim: mustExist(join(dir("containerd"), "usr/bin/containerd-shim-runc-v2"), "containerd"),
      runc: mustExist(join(dir("runc"), "usr/sbin/runc"), "runc"),
      etcd: mustExist(join(dir("etcd-server"), "usr/bin/etcd"), "etcd-server"),
    };
    // machined's installer (machine.install) runs these tools on the node
    const installerTools = installerToolsTree(dir);
    const libraries = resolveSharedLibraries(
      [
        { name: STAGE1_PATH, bytes: nodeBytes },
        ...Object.entries(binaries).map(([name, path]) => ({ name, bytes: readFileSync(path) })),
        ...installerTools.binaries.map(({ name, path }) => ({ name, bytes: readFileSync(path) })),
      ],
      lookup,
    );
    const certDir = join(dir("ca-certificates"), "usr/share/ca-certificates");
    const certs = new Map(
      filesUnder(certDir, ".crt").map((p) => [relative(certDir, p), readFileSync(p, "utf8")]),
    );
    const tree = rootfsTree({
      node,
      ...binaries,
      libraries,
      etc: etcSkeleton({ version: options.version }),
      caBundle: caBundle(certs),
      extra: installerTools.entries,
    });
    const squashfsOptions = { ...options.squashfs, sourceDateEpoch: options.sourceDateEpoch };
    const key = treeDigest(tree, mksquashfsArgs("", "", squashfsOptions).join(" "));
    if (options.outputCache !== false && outputs.restore("rootfs", key, rootfsOut)) note("cached");
    else {
      const staging = join(work, "rootfs");
      materializeTree(tree, staging);
      const partial = `${rootfsOut}.partial`;
      rmSync(partial, { force: true });
      await mksquashfs(run, staging, partial, squashfsOptions);
      renameSync(partial, rootfsOut);
      rmSync(staging, { recursive: true, force: true });
      outputs.store("rootfs", key, rootfsOut);
    }
    const { compressor, level, blockSize } = options.squashfs;
    note(
      `${(Bun.file(rootfsOut).size / 1e6).toFixed(1)} MB, ${compressor}${compressor === "zstd" ? ` -${level ?? DEFAULT_SQUASHFS_ZSTD_LEVEL}` : ""}, ${(blockSize ?? DEFAULT_SQUASHFS_BLOCK) / 1024} KiB blocks`,
    );
  });

  const initramfsOut = join(outDir, "initramfs.zst");
  const layout = options.initramfsLayout ?? "compact";
  await progress.step("initramfs", async (note) => {
    const tree =
      layout === "compact"
        ? compactInitramfsTree({
            abi: kernel.abi,
            moduleDir,
            modules: modules.load,
            rootfs: rootfsOut,
            moduleParams: MODULE_PARAMS,
          })
        : initramfsTree({
            shim: buildInitShim({ path: STAGE1_PATH, argv: STAGE1_ARGV }),
            stage1: node,
            libraries: resolveSharedLibraries([{ name: STAGE1_PATH, bytes: nodeBytes }], lookup),
            abi: kernel.abi,
            moduleDir,
            modules: modules.load,
            modulesDep: modules.dep,
            moduleRequests: profile.modules,
            modulesBuiltin: join(moduleDir, "modules.builtin"),
            rootfs: rootfsOut,
          });
    const chunks = writeCpio(toCpioEntries(tree), { mtime: options.sourceDateEpoch });
    const hash = createHash("sha256").update(zstdArgs("", "", options.initramfsZstdLevel).join(" "));
    for (const chunk of chunks) hash.update(chunk);
    const key = hash.digest("hex");
    const cpioSize = chunks.reduce((n, c) => n + c.length, 0);
    if (options.outputCache !== false && outputs.restore("initramfs", key, initramfsOut)) note("cached");
    else {
      const cpioPath = join(work, "initramfs.cpio");
      await Bun.write(cpioPath, new Blob(chunks));
      const partial = `${initramfsOut}.partial`;
      await zstdCompress(run, cpioPath, partial, options.initramfsZstdLevel);
      renameSync(partial, initramfsOut);
      rmSync(cpioPath, { force: true });
      outputs.store("initramfs", key, initramfsOut);
    }
    note(
      `${layout}, ${(cpioSize / 1e6).toFixed(1)} MB -> ${(Bun.file(initramfsOut).size / 1e6).toFixed(1)} MB, zstd -${options.initramfsZstdLevel}`,
    );
  });

  const cmdline = kernelCmdline(profile);
  await progress.step("kernel, cmdline, boot.ipxe", () => {
    const vmlinuz = mustExist(join(kernelDir, "boot", `vmlinuz-${kernel.abi}`), kernel.package);
    writeFileSync(join(outDir, "vmlinuz"), readFileSync(vmlinuz));
    writeFileSync(join(outDir, "cmdline"), `${cmdline}\n`);
    writeFileSync(join(outDir, "boot.ipxe"), bootIpxe(cmdline));
  });

  const withDisk = options.disk !== false;
  await progress.step("disk image", async (note) => {
    const output = join(outDir, "disk.raw");
    if (!withDisk) {
      rmSync(output, { force: true });
      note("skipped");
      return;
    }
    const disk = await buildDiskImage({
      artifactsDir: outDir,
      output,
      platform: profile.platform,
      seed: `bronze-${profile.name}-${options.version}-${options.sourceDateEpoch}`,
      sourceDateEpoch: options.sourceDateEpoch,
      run,
      log: () => {},
    });
    const parts = disk.install.layout.partitions.map((p) => `${p.name} ${p.sizeMiB}`).join(", ");
    note(`${disk.sizeBytes / 2 ** 20} MiB sparse: ${parts} MiB; GRUB BIOS + EFI`);
  });

  const manifest = await progress.step("manifest", async () => {
    const names = withDisk ? ARTIFACTS : NETWORK_BOOT_ARTIFACTS;
    const files = await Promise.all(
      names.map((name) =>
        name === "disk.raw"
          ? manifestFileAt(name, join(outDir, name))
          : manifestFile(name, readFileSync(join(outDir, name))),
      ),
    );
    const manifest: Manifest = {
      profile: profile.name,
      initramfs: layout,
      version: options.version,
      sourceDateEpoch: options.sourceDateEpoch,
      kernel,
      cmdline,
      packages: refs.map((r) => r.filename),
      files,
    };
    writeFileSync(join(outDir, "manifest.json"), formatManifest(manifest));
    return manifest;
  });

  return { manifest, timings: progress.timings };
}
