// A temporary file attached to a loop device, for installer tests: never the host's disks.
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface LoopDisk {
  readonly dir: string;
  readonly file: string;
  readonly device: string;
  release(): void;
}

function sh(argv: string[]): string {
  const proc = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${proc.stderr.toString()}`);
  return proc.stdout.toString();
}

/** A sparse file of `mib` MiB on a new loop device (partition scanning on). */
export function loopDisk(mib: number): LoopDisk {
  const dir = mkdtempSync(join(tmpdir(), "bronze-loop-"));
  const file = join(dir, "disk.img");
  const fd = openSync(file, "w");
  ftruncateSync(fd, mib * 1024 * 1024);
  closeSync(fd);
  const device = sh(["losetup", "--find", "--show", "--partscan", file]).trim();
  if (!/^\/dev\/loop\d+$/.test(device)) throw new Error(`losetup gave ${device}`);
  return {
    dir,
    file,
    device,
    release() {
      Bun.spawnSync(["losetup", "--detach", device]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Small stand-ins for the image's outputs (the installer copies them, it does not boot them). */
export function fakeArtifacts(dir: string): string {
  const out = join(dir, "artifacts");
  sh(["mkdir", "-p", out]);
  writeFileSync(join(out, "vmlinuz"), Buffer.alloc(3_000_000, 7));
  writeFileSync(join(out, "initramfs.zst"), Buffer.alloc(2_000_000, 9));
  writeFileSync(
    join(out, "cmdline"),
    "console=ttyS0 console=tty0 slab_nomerge pti=on bronze.platform=qemu\n",
  );
  return out;
}

export { sh };
