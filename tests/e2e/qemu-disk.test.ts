// Disk boot (docs/design.md §9 step 2): build the qemu image and the compiled osctl, generate a config,
// `osctl image install` Bronze onto a loop device backed by a file (never a host disk) with the URL of
// a local config server, then boot that disk under QEMU (TCG, SeaBIOS): GRUB must boot slot A with the
// installed kernel arguments, machined must start and download its config from the URL the installer
// wrote, onto the STATE partition (mounted on /system/state; EPHEMERAL on /var). A second boot of the
// same disk, with the config server gone, finds the config on STATE. Also: the build's disk.raw is in
// the manifest with the same GPT layout.
import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./src/repo-root.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-e2e-disk-"));
const out = join(dir, "out");
const osctlBinary = join(dir, "osctl");
const diskFile = join(dir, "node.img");
const BOOT_TIMEOUT_MS = 300_000;
let qemu: ReturnType<typeof Bun.spawn> | undefined;
let loop: string | undefined;

function run(argv: string[], cwd = REPO_ROOT, input?: string): string {
  const proc = Bun.spawnSync(argv, {
    cwd,
    stdin: input === undefined ? "ignore" : Buffer.from(input),
    stdout: "pipe",
    stderr: "pipe",
  });
  if (proc.exitCode !== 0)
    throw new Error(`${argv.join(" ")} failed (${proc.exitCode}): ${proc.stderr.toString().slice(-2000)}`);
  return proc.stdout.toString();
}

beforeAll(() => {
  // Warm caches make both quick: the image in ~10 s (disk.raw included), osctl in ~20 s.
  run(["bun", "image/src/main.ts", "build", "--profile", "qemu", "--out", out]);
  run(["bun", "apps/osctl/scripts/build.ts", osctlBinary]);
}, 1_200_000); // the build may wait for the other e2e lane's builds (image/src/work-lock.ts)

afterAll(() => {
  qemu?.kill("SIGKILL");
  if (loop !== undefined) Bun.spawnSync(["losetup", "--detach", loop]);
  rmSync(dir, { recursive: true, force: true });
});

test("the build's disk.raw: in the manifest, GPT with the A/B layout", () => {
  const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
  const disk = manifest.files.find((f: { name: string }) => f.name === "disk.raw");
  expect(disk.size).toBe(Bun.file(join(out, "disk.raw")).size);
  const table = JSON.parse(run(["sfdisk", "-J", join(out, "disk.raw")])).partitiontable;
  expect(table.partitions.map((p: { name: string }) => p.name)).toEqual([
    "BIOS",
    "EFI",
    "BOOT-A",
    "BOOT-B",
    "META",
    "STATE",
    "EPHEMERAL",
  ]);
});

// UEFI: OVMF finds EFI/BOOT/BOOTX64.EFI on the build's own disk.raw. Its command line is _out/cmdline's,
// whose last console= is tty0, so only the kernel's lines reach the serial port: stop once init runs.
test("the build's disk.raw boots under UEFI (OVMF) through GRUB into the kernel with the image's arguments", async () => {
  const vars = join(dir, "OVMF_VARS.fd");
  await Bun.write(vars, Bun.file("/usr/share/OVMF/OVMF_VARS_4M.fd"));
  const serialPath = join(dir, "efi-serial.log");
  const efi = Bun.spawn(
    [
      "qemu-system-x86_64",
      ...["-accel", "tcg", "-cpu", "max", "-m", "1024", "-smp", "1"],
      ...["-display", "none", "-no-reboot", "-nic", "none", "-serial", `file:${serialPath}`],
      ...["-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd"],
      ...["-drive", `if=pflash,format=raw,file=${vars}`],
      ...["-drive", `file=${join(out, "disk.raw")},format=raw,if=virtio,snapshot=on`],
    ],
    { stdin: "ignore", stdout: "ignore", stderr: "ignore" },
  );
  try {
    const serial = () => (existsSync(serialPath) ? readFileSync(serialPath, "utf8") : "");
    const deadline = Date.now() + 100_000;
    while (
      Date.now() < deadline &&
      !serial().includes("Freeing unused kernel image") &&
      efi.exitCode === null
    )
      await Bun.sleep(1000);
    const log = serial().replaceAll("\r", "");
    const context = `\n--- serial tail ---\n${log.split("\n").slice(-30).join("\n")}`;
    const cmdline = readFileSync(join(out, "cmdline"), "utf8").trim();
    expect(log, context).toContain("GNU GRUB");
    expect(log, context).toContain("Loading Bronze from BOOT-A...");
    // the image's arguments, then what each slot's entry adds (grub-config.ts)
    const escaped = cmdline.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    expect(log, context).toMatch(
      new RegExp(`Kernel command line: BOOT_IMAGE=/vmlinuz ${escaped} bronze\\.slot=a panic=10 ?\n`),
    );
    expect(log, context).toContain("Freeing unused kernel image");
  } finally {
    efi.kill("SIGKILL");
    await efi.exited;
  }
}, 120_000);

test(
  "osctl image install writes a disk that boots through GRUB into machined, which fetches the config URL",
  async () => {
    run([osctlBinary, "gen", "config", "e2e-disk", "https://10.0.2.15:6443", "-o", join(dir, "cfg")], dir);
    const requests: string[] = [];
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        requests.push(new URL(req.url).pathname);
        return new Response(Bun.file(join(dir, "cfg/controlplane.yaml")));
      },
    });
    try {
      const fd = openSync(diskFile, "w");
      ftruncateSync(fd, 2048 * 1024 * 1024);
      closeSync(fd);
      loop = run(["losetup", "--find", "--show", "--partscan", diskFile]).trim();
      const url = `http://10.0.2.2:${server.port}/controlplane.yaml`;
      // the disk's last console= is the serial port, so machined's output (on /dev/console) reaches it
      const install = run(
        [
          osctlBinary,
          "image",
          "install",
          "--disk",
          loop,
          "--platform",
          "qemu",
          "--config-url",
          url,
          "--assets",
          out,
          "--extra-kernel-arg",
          "console=ttyS0",
        ],
        dir,
      );
      expect(install).toContain(`installed Bronze on ${loop}`);
      run(["losetup", "--detach", loop]);
      loop = undefined;

      mkdirSync(join(dir, "run"));
      const serialPath = join(dir, "run/serial.log");
      qemu = Bun.spawn(
        [
          "qemu-system-x86_64",
          ...["-accel", "tcg", "-cpu", "max", "-m", "1024", "-smp", "1"],
          ...["-display", "none", "-no-reboot", "-serial", `file:${serialPath}`],
          ...["-drive", `file=${diskFile},format=raw,if=virtio`],
          ...["-nic", "user,model=virtio-net-pci"],
        ],
        { stdin: "ignore", stdout: "ignore", stderr: "pipe" },
      );
      const serial = () => (existsSync(serialPath) ? readFileSync(serialPath, "utf8") : "");
      const deadline = Date.now() + BOOT_TIMEOUT_MS - 20_000;
      while (Date.now() < deadline && !serial().includes("config: downloaded from") && qemu.exitCode === null)
        await Bun.sleep(1000);
      const log = serial();
      const context = `\n--- serial tail ---\n${log.split("\n").slice(-40).join("\n")}`;
      expect(log, context).toContain("GNU GRUB");
      expect(log, context).toContain("Booting `Bronze (slot A)'");
      expect(log, context).toMatch(
        new RegExp(
          `Kernel command line: BOOT_IMAGE=/vmlinuz .*bronze\\.platform=qemu bronze\\.config=${url.replaceAll(".", "\\.")} console=ttyS0`,
        ),
      );
      expect(log, context).toMatch(/machined: starting \(pid 1, platform qemu/);
      expect(log, context).toContain(`config: downloaded from ${url} and saved`);
      expect(requests).toContain("/controlplane.yaml");
      expect(log, context).toContain("mounted the STATE (/dev/vda6) partition (ext4) on /system/state");
      expect(log, context).toContain("mounted the EPHEMERAL (/dev/vda7) partition (ext4) on /var");
      expect(log, context).not.toContain("Kernel panic");
    } finally {
      qemu?.kill("SIGKILL");
      await qemu?.exited;
      server.stop(true);
    }
  },
  BOOT_TIMEOUT_MS,
);

// The config was saved (fsync'd) on STATE before the first QEMU was killed; no config server now: the
// URL on the kernel command line would fail, so the config can only come from the disk.
test(
  "a second boot of the installed disk, without the config server, uses the config saved on STATE",
  async () => {
    expect(existsSync(diskFile), "the install test must run first").toBe(true);
    const serialPath = join(dir, "run/serial-2.log");
    qemu = Bun.spawn(
      [
        "qemu-system-x86_64",
        ...["-accel", "tcg", "-cpu", "max", "-m", "1024", "-smp", "1"],
        ...["-display", "none", "-no-reboot", "-serial", `file:${serialPath}`],
        ...["-drive", `file=${diskFile},format=raw,if=virtio`],
        ...["-nic", "user,model=virtio-net-pci"],
      ],
      { stdin: "ignore", stdout: "ignore", stderr: "pipe" },
    );
    try {
      const serial = () => (existsSync(serialPath) ? readFileSync(serialPath, "utf8") : "");
      const done = (log: string) =>
        log.includes("config: using the config from STATE") ||
        log.includes("config: downloading") ||
        log.includes("Kernel panic");
      const deadline = Date.now() + BOOT_TIMEOUT_MS - 20_000;
      while (Date.now() < deadline && !done(serial()) && qemu.exitCode === null) await Bun.sleep(1000);
      const log = serial();
      const context = `\n--- serial tail ---\n${log.split("\n").slice(-40).join("\n")}`;
      expect(log, context).toMatch(/machined: starting \(pid 1, platform qemu/);
      expect(log, context).toContain("mounted the STATE (/dev/vda6) partition (ext4) on /system/state");
      expect(log, context).toContain("mounted the EPHEMERAL (/dev/vda7) partition (ext4) on /var");
      expect(log, context).toContain("loadStoredConfig: config: using the config from STATE");
      expect(log, context).not.toContain("config: downloading");
      expect(log, context).not.toContain("Kernel panic");
    } finally {
      qemu?.kill("SIGKILL");
      await qemu?.exited;
    }
  },
  BOOT_TIMEOUT_MS,
);
