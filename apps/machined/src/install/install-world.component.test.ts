// machined's install on a real loop device backed by a temporary file (never the host's disks): the
// assets served over HTTP on 127.0.0.1, @bronze/image's installer run through the node's tool runner,
// the config saved on the new STATE partition through a real mount. Needs root, util-linux, e2fsprogs,
// dosfstools, mtools and GRUB's Debian packages (scripts/setup.sh installs them).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LibcSys } from "../sys/libc-sys.ts";
import { partitionNode, realInstallWorld } from "./install-world.ts";
import { type InstallPlan, installMachine, MachineInstallError } from "./machine-install.ts";

function sh(argv: string[]): string {
  const proc = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${proc.stderr.toString()}`);
  return proc.stdout.toString();
}

const dir = mkdtempSync(join(tmpdir(), "machined-install-"));
let device = "";
const ASSETS: Record<string, Uint8Array> = {
  vmlinuz: new Uint8Array(3_000_000).fill(7),
  "initramfs.zst": new Uint8Array(2_000_000).fill(9),
  cmdline: new TextEncoder().encode("console=ttyS0 slab_nomerge pti=on bronze.platform=qemu\n"),
};
const manifest = JSON.stringify({
  files: Object.entries(ASSETS).map(([name, data]) => ({
    name,
    size: data.length,
    sha256: createHash("sha256").update(data).digest("hex"),
  })),
});
let server: ReturnType<typeof Bun.serve>;
const requests: string[] = [];

beforeAll(() => {
  const file = join(dir, "disk.img");
  const fd = openSync(file, "w");
  ftruncateSync(fd, 1200 * 1024 * 1024);
  closeSync(fd);
  device = sh(["losetup", "--find", "--show", "--partscan", file]).trim();
  if (!/^\/dev\/loop\d+$/.test(device)) throw new Error(`losetup gave ${device}`);
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      requests.push(new URL(req.url).pathname);
      const name = new URL(req.url).pathname.replace(/^\/assets\//, "");
      if (name === "manifest.json") return new Response(manifest);
      const data = ASSETS[name];
      return data === undefined ? new Response("no such asset", { status: 404 }) : new Response(data);
    },
  });
});

afterAll(() => {
  server?.stop(true);
  if (device !== "") Bun.spawnSync(["losetup", "--detach", device]);
  rmSync(dir, { recursive: true, force: true });
});

function plan(wipe: boolean): InstallPlan {
  return {
    disk: device,
    assetsUrl: `http://127.0.0.1:${server.port}/assets`,
    wipe,
    extraKernelArgs: ["bronze.hostname=installed-1"],
    platform: "qemu",
  };
}

function world(workDir: string, reboots: string[], lines: string[]) {
  mkdirSync(workDir, { recursive: true });
  return realInstallWorld({
    sys: new LibcSys(),
    fetch: (url, init) => fetch(url, init),
    reboot: () => void reboots.push("reboot"),
    workDir,
    log: (l) => lines.push(l),
  });
}

/** The config.yaml on the STATE partition, read through debugfs (nothing mounted). */
function stateConfig(): string {
  return sh(["debugfs", "-R", "cat /config.yaml", partitionNode(device, 6)]);
}

describe("machined's install on a loop device", () => {
  const CONFIG = "version: v1alpha1\nmachine:\n  type: worker\n";

  test("installs from the assets URL, saves the config on STATE, reboots; a second install needs wipe", async () => {
    const reboots: string[] = [];
    const lines: string[] = [];
    await installMachine(plan(false), CONFIG, world(join(dir, "work"), reboots, lines));
    expect(reboots).toEqual(["reboot"]);

    const table = JSON.parse(sh(["sfdisk", "-J", device])).partitiontable;
    expect(table.partitions.map((p: { name: string }) => p.name)).toEqual([
      "BIOS",
      "EFI",
      "BOOT-A",
      "BOOT-B",
      "META",
      "STATE",
      "EPHEMERAL",
    ]);
    expect(stateConfig()).toBe(CONFIG);
    // slot A holds the downloaded kernel, and its cmdline the config's extra argument
    const slotA = partitionNode(device, 3);
    const kernel = Bun.spawnSync(["debugfs", "-R", "cat /vmlinuz", slotA], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(createHash("sha256").update(kernel.stdout).digest("hex")).toBe(
      createHash("sha256")
        .update(ASSETS.vmlinuz as Uint8Array)
        .digest("hex"),
    );
    const cmdline = sh(["debugfs", "-R", "cat /cmdline", slotA]);
    expect(cmdline).toContain("bronze.platform=qemu");
    expect(cmdline.trim().endsWith("bronze.hostname=installed-1")).toBe(true);
    expect(lines.some((l) => l.startsWith("install: partitioning: BIOS"))).toBe(true);
    expect(lines.at(-1)).toMatch(new RegExp(`^install: done in [0-9.]+ s; rebooting into ${device}$`));
    // the downloads and the STATE mount point are gone; nothing of the disk is mounted
    expect(readFileSync("/proc/mounts", "utf8")).not.toContain(device);
    expect(
      Bun.spawnSync(["ls", join(dir, "work")])
        .stdout.toString()
        .trim(),
    ).toBe("");

    // the disk now holds partitions: refused without wipe (before any download), naming the config field
    const served = requests.length;
    const refused = await installMachine(plan(false), CONFIG, world(join(dir, "work2"), reboots, [])).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(MachineInstallError);
    expect((refused as MachineInstallError).code).toBe("Install");
    expect((refused as Error).message).toBe(
      `${device} is not empty (7 partition(s)): set machine.install.wipe: true to erase it, or choose another machine.install.disk`,
    );
    expect(requests.length).toBe(served);
    expect(reboots).toEqual(["reboot"]);
    expect(stateConfig()).toBe(CONFIG);

    const NEW_CONFIG = `${CONFIG}# wiped and installed again\n`;
    await installMachine(plan(true), NEW_CONFIG, world(join(dir, "work3"), reboots, []));
    expect(reboots).toEqual(["reboot", "reboot"]);
    expect(stateConfig()).toBe(NEW_CONFIG);
  }, 180_000);
});
