// Image figures of issue 6: the sizes of vmlinuz, initramfs.zst and rootfs.sqsh, what each part of the
// root costs once compressed (read from the squashfs's own block lists), and vmlinuz + initramfs against
// Talos's published sizes (a constant baseline: Talos is not built here). Target: smaller than Talos's.
// (Files smaller than a block live in shared fragment blocks: each gets its share by uncompressed size.)
// Also the build time with the default options: a rebuild (the node binary compiled, mksquashfs and the
// initramfs redone, packages already in the cache) and a warm build (outputs reused).
// Node memory after boot and boot times are the boot bench's (tests/e2e/bench/boot.bench.ts).
//
// Run: `bun run bench` in image/ (BRONZE_IMAGE_CACHE for a private package cache). IMAGE_BENCH_ASSETS=DIR
// measures an existing build's artifacts instead of building.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildImage } from "../src/build.ts";
import { parseBuildCommand } from "../src/cli.ts";
import { runTool } from "../src/run-tool.ts";
import { squashfsUsage } from "../src/squashfs-usage.ts";

/**
 * Talos's sizes, from its maintainers' own measurements in siderolabs/talos:
 *  - initramfs-amd64.xz: 57,702,388 bytes, Talos 1.4 with stripped kernel modules (issue #6931,
 *    2023-03; 1.3 was 55,174,712); `du -sh` 58M then 56M once firmware left it (PR #7671, 2023-08, 1.5).
 *  - vmlinuz-amd64: 15M by `du -sh` (PR #4962, 2022-02, Linux 5.15; du rounds up: at most 15 MiB).
 */
const TALOS = {
  version: "Talos 1.4 (initramfs, siderolabs/talos#6931) / 5.15 kernel (siderolabs/talos#4962)",
  initramfs: 57_702_388,
  vmlinuz: 15 * 2 ** 20,
};

const REPO_ROOT = resolve(import.meta.dir, "../..");
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;

/** What each rootfs path is, for the table. */
function partOf(path: string): string {
  const named: Record<string, string> = {
    "/sbin/init": "node binary (machined, apid, trustd; Bun)",
    "/usr/bin/containerd": "containerd",
    "/usr/bin/containerd-shim-runc-v2": "containerd-shim-runc-v2",
    "/usr/sbin/runc": "runc",
    "/usr/bin/etcd": "etcd",
  };
  const name = named[path];
  if (name !== undefined) return name;
  if (path.startsWith("/usr/lib/grub/")) return "installer: GRUB module files";
  if (path.startsWith("/lib/") || path.startsWith("/lib64/")) return "shared libraries (glibc, ...)";
  if (path.startsWith("/usr/bin/") || path.startsWith("/usr/sbin/"))
    return "installer tools (mkfs, sfdisk, ...)";
  return "/etc, CA bundle";
}

/** Regular files of the squashfs with their sizes (`unsquashfs -lls`). */
async function listFiles(image: string): Promise<Array<{ path: string; size: number }>> {
  const text = await runTool(["unsquashfs", "-lls", "-d", "", image]);
  const files: Array<{ path: string; size: number }> = [];
  for (const line of text.split("\n")) {
    const m = /^-\S+\s+\S+\s+(\d+)\s+\S+\s+\S+\s+(\/.*)$/.exec(line);
    if (m) files.push({ path: m[2] as string, size: Number(m[1]) });
  }
  return files;
}

async function build(outDir: string, outputCache: boolean): Promise<number> {
  const command = parseBuildCommand(["build", "--out", outDir, "--no-disk"], {
    cwd: REPO_ROOT,
    repoRoot: REPO_ROOT,
    env: process.env,
  });
  const started = performance.now();
  await buildImage({ ...command, outputCache, run: runTool, log: (line) => console.log(`  ${line}`) });
  return (performance.now() - started) / 1000;
}

const given = process.env.IMAGE_BENCH_ASSETS;
const tmp = given ? undefined : mkdtempSync(join(tmpdir(), "bronze-bench-image-"));
const assets = given ? resolve(given) : (tmp as string);
try {
  const times: string[] = [];
  if (tmp) {
    console.log("rebuild (node binary, rootfs.sqsh and initramfs.zst redone; packages cached):");
    const rebuild = await build(tmp, false);
    console.log("warm build (same inputs, outputs reused):");
    const warm = await build(tmp, true);
    times.push(`build, rebuild / warm: ${rebuild.toFixed(1)} s / ${warm.toFixed(1)} s`);
  }
  const manifest = JSON.parse(readFileSync(join(assets, "manifest.json"), "utf8"));
  const size = (name: string) => statSync(join(assets, name)).size;
  const vmlinuz = size("vmlinuz");
  const initramfs = size("initramfs.zst");
  const rootfsPath = join(assets, "rootfs.sqsh");
  const rootfs = size("rootfs.sqsh");
  const usage = squashfsUsage(readFileSync(rootfsPath));

  // Each file's compressed blocks, named through its size (the big binaries' sizes are unique).
  const bySize = new Map<number, Set<string>>();
  for (const f of await listFiles(rootfsPath)) {
    const parts = bySize.get(f.size) ?? new Set<string>();
    parts.add(partOf(f.path));
    bySize.set(f.size, parts);
  }
  const parts = new Map<string, { raw: number; stored: number }>();
  const add = (name: string, raw: number, stored: number) => {
    const p = parts.get(name) ?? { raw: 0, stored: 0 };
    parts.set(name, { raw: p.raw + raw, stored: p.stored + stored });
  };
  for (const f of usage.files) {
    if (f.duplicate) continue;
    const names = bySize.get(f.size);
    add(
      names?.size === 1 ? ([...names][0] as string) : "other files",
      f.size,
      f.blockBytes + f.fragmentShare,
    );
  }
  add("metadata (inodes, directories, tables)", 0, usage.metadataBytes);

  const ours = vmlinuz + initramfs;
  const talos = TALOS.vmlinuz + TALOS.initramfs;
  console.log(
    `\nimage figures (${manifest.profile} profile, ${manifest.initramfs} initramfs, kernel ${manifest.kernel.abi})`,
  );
  for (const t of times) console.log(`  ${t}`);
  console.log(`  vmlinuz                 ${mb(vmlinuz).padStart(9)}`);
  console.log(
    `  initramfs.zst           ${mb(initramfs).padStart(9)}  (rootfs.sqsh ${mb(rootfs)} + modules, /init, cpio: ${mb(initramfs - rootfs)})`,
  );
  console.log(
    `  rootfs.sqsh             ${mb(rootfs).padStart(9)}  (${usage.compressor}, ${usage.blockSize / 1024} KiB blocks)`,
  );
  const rows = [...parts].sort((a, b) => b[1].stored - a[1].stored);
  for (const [name, p] of rows) {
    const ratio = p.raw > 0 ? `, ${mb(p.raw)} uncompressed (${pct(p.stored, p.raw)})` : "";
    console.log(
      `    ${name.padEnd(42)} ${mb(p.stored).padStart(9)}  ${pct(p.stored, rootfs).padStart(6)} of it${ratio}`,
    );
  }
  console.log(`  vmlinuz + initramfs     ${mb(ours).padStart(9)}`);
  console.log(`  Talos (${TALOS.version}): ${mb(TALOS.vmlinuz)} + ${mb(TALOS.initramfs)} = ${mb(talos)}`);
  console.log(
    `  target, smaller than Talos's: ${ours < talos ? "met" : "NOT met"} (${(ours / talos).toFixed(2)}x, ${ours < talos ? "" : "+"}${mb(ours - talos)})`,
  );
} finally {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}
