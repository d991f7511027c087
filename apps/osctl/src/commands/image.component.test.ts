// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${mac} is machined's variable, not a template
// `osctl image install` through the CLI, on a loop device backed by a temporary file (root here):
// refusals, then a real install checked with sfdisk -J and grub.cfg read back with mtools.
import { afterAll, expect, test } from "bun:test";
import { closeSync, ftruncateSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTestIo, osctl } from "../testing/test-io.ts";
import { imageInstall } from "./image.ts";

const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanups.reverse()) c();
});

function run(argv: string[], input?: string): string {
  const proc = Bun.spawnSync(argv, {
    stdin: input === undefined ? "ignore" : Buffer.from(input),
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, MTOOLS_SKIP_CHECK: "1" },
  });
  if (proc.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${proc.stderr.toString()}`);
  return proc.stdout.toString();
}

function loopDevice(dir: string, mib: number): string {
  const file = join(dir, "disk.img");
  const fd = openSync(file, "w");
  ftruncateSync(fd, mib * 1024 * 1024);
  closeSync(fd);
  const device = run(["losetup", "--find", "--show", "--partscan", file]).trim();
  cleanups.push(() => Bun.spawnSync(["losetup", "--detach", device]));
  return device;
}

function assets(dir: string): void {
  mkdirSync(join(dir, "_out"));
  writeFileSync(join(dir, "_out/vmlinuz"), Buffer.alloc(2_000_000, 1));
  writeFileSync(join(dir, "_out/initramfs.zst"), Buffer.alloc(1_000_000, 2));
  writeFileSync(join(dir, "_out/cmdline"), "console=ttyS0 slab_nomerge pti=on bronze.platform=qemu\n");
}

test("image install: refuses a partitioned disk without --wipe, installs with it, progress on stdout", async () => {
  const io = createTestIo();
  cleanups.push(io.cleanup);
  assets(io.dir);
  const device = loopDevice(io.dir, 1100);
  run(["sfdisk", "--quiet", device], "label: gpt\n,50M\n");
  const url = "http://10.0.0.1:8080/${mac}.yaml";
  const args = ["image", "install", "--disk", device, "--platform", "metal", "--config-url", url];

  const refused = await osctl(io, ...args);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(`image install: ${device} is not empty (`);
  expect(refused.stderr).toContain("pass --wipe to erase it");
  expect(JSON.parse(run(["sfdisk", "-J", device])).partitiontable.partitions).toHaveLength(1);

  const done = await osctl(io, ...args, "--wipe", "--extra-kernel-arg", "console=ttyS0");
  expect(done.stderr).toBe("");
  expect(done.code).toBe(0);
  const lines = done.stdout.trim().split("\n");
  expect(lines[0]).toBe(`installing to ${device} (1100 MiB, platform metal)`);
  expect(lines).toContain("GRUB for BIOS (core.img in the BIOS boot partition)");
  expect(lines.at(-1)).toBe(`installed Bronze on ${device}`);
  const table = JSON.parse(run(["sfdisk", "-J", device])).partitiontable;
  expect(table.partitions.map((p: { name: string }) => p.name)).toEqual([
    "BIOS",
    "EFI",
    "BOOT-A",
    "BOOT-B",
    "META",
    "STATE",
    "EPHEMERAL",
  ]);
  const grubCfg = run(["mtype", "-i", `${device}p2`, "::/boot/grub/grub.cfg"]);
  expect(grubCfg).toMatch(
    /set bronze_args='console=ttyS0 slab_nomerge pti=on bronze\.platform=metal bronze\.config=http:\/\/10\.0\.0\.1:8080\/\$\{mac\}\.yaml console=ttyS0'\n/,
  );
}, 120_000);

test("image install: bad platform, missing assets, not root, not a disk", async () => {
  const io = createTestIo();
  cleanups.push(io.cleanup);
  const platform = await osctl(io, "image", "install", "--disk", "/dev/null", "--platform", "aws");
  expect(platform.code).toBe(2);
  expect(platform.stderr).toContain('--platform: "aws" (expected metal or qemu)');

  const noDisk = await osctl(io, "image", "install");
  expect(noDisk.code).toBe(2);
  expect(noDisk.stderr).toContain("--disk");

  const missing = await osctl(io, "image", "install", "--disk", "/dev/null", "--assets", "nowhere");
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain(`image install: ${join(io.dir, "nowhere", "vmlinuz")} does not exist`);

  assets(io.dir);
  const notDisk = await osctl(io, "image", "install", "--disk", join(io.dir, "_out/vmlinuz"));
  expect(notDisk.code).toBe(1);
  expect(notDisk.stderr).toContain("is not a block device");

  let installed = false;
  await expect(
    imageInstall({ disk: "/dev/sdz", platform: "metal", wipe: true, assets: "_out" }, io, {
      uid: () => 1000,
      install: async () => {
        installed = true;
      },
    }),
  ).rejects.toThrow("run it as root");
  expect(installed).toBe(false);
});
