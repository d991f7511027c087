// machined installs itself (issue 6, "the installer also runs inside machined"): a node kernel-booted
// under QEMU (TCG) with an empty virtio disk, `bronze.config=` and `bronze.assets=` pointing at a local
// HTTP server, gets a config whose machine.install.disk is that disk. machined downloads vmlinuz,
// initramfs.zst and cmdline, checks them against manifest.json, writes the disk, saves the config on
// its STATE partition and reboots (QEMU's -no-reboot ends the process). Then the disk boots alone
// (SeaBIOS, GRUB), with the config server gone: the config comes from STATE, the install is skipped,
// and `osctl version` answers over mTLS through a forwarded port. Last, a disk holding a partition
// without machine.install.wipe: refused, the node waits in maintenance mode, and the config fixed
// through `osctl apply-config --insecure` installs.
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
import { freePort } from "@bronze/testing";
import { REPO_ROOT } from "./src/repo-root.ts";
import { runOsctl } from "./src/run-osctl.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-e2e-install-"));
const out = join(dir, "out");
const osctlBinary = join(dir, "osctl");
const diskFile = join(dir, "node.img");
const BOOT_TIMEOUT_MS = 420_000;
let qemu: ReturnType<typeof Bun.spawn> | undefined;
/** Set once the first test saw the install through (the second boots its disk). */
let installed = false;

function run(argv: string[], cwd = REPO_ROOT): string {
  const proc = Bun.spawnSync(argv, { cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0)
    throw new Error(`${argv.join(" ")} failed (${proc.exitCode}): ${proc.stderr.toString().slice(-2000)}`);
  return proc.stdout.toString();
}

const read = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : "");
const tail = (text: string, lines = 40) =>
  `\n--- serial tail ---\n${text.replaceAll("\r", "").split("\n").slice(-lines).join("\n")}`;

beforeAll(() => {
  // The disk image is not needed: the node writes its own disk. A cold rootfs.sqsh takes minutes (zstd -19).
  run(["bun", "image/src/main.ts", "build", "--profile", "qemu", "--out", out, "--no-disk"]);
  run(["bun", "apps/osctl/scripts/build.ts", osctlBinary]);
  run(
    [
      ...[osctlBinary, "gen", "config", "e2e-install", "https://10.0.2.15:6443", "-o", join(dir, "cfg")],
      ...["--install-disk", "/dev/vda", "--additional-sans", "127.0.0.1"],
    ],
    dir,
  );
}, 900_000);

afterAll(async () => {
  qemu?.kill("SIGKILL");
  await qemu?.exited;
  rmSync(dir, { recursive: true, force: true });
});

function startQemu(serialPath: string, extra: string[], apidPort?: number, disk = diskFile) {
  const nic =
    apidPort === undefined
      ? "user,model=virtio-net-pci"
      : `user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:${apidPort}-:50000`;
  return Bun.spawn(
    [
      "qemu-system-x86_64",
      ...["-accel", "tcg", "-cpu", "max", "-m", "1536", "-smp", "1"],
      ...["-display", "none", "-no-reboot", "-serial", `file:${serialPath}`],
      ...["-drive", `file=${disk},format=raw,if=virtio`],
      ...["-nic", nic],
      ...extra,
    ],
    { stdin: "ignore", stdout: "ignore", stderr: "pipe" },
  );
}

test(
  "a kernel-booted node installs itself onto its empty disk from bronze.assets= and reboots",
  async () => {
    // the installed disk's kernel arguments end with console=ttyS0, so its machined reaches the serial
    // port, and name the node (its certificates need a hostname; the generated config has none)
    const generated = readFileSync(join(dir, "cfg/controlplane.yaml"), "utf8");
    const config = generated.replace(
      /( {2}install:\n {4}disk: \/dev\/vda\n)/,
      "$1    extraKernelArgs:\n      - bronze.hostname=installed-1\n      - console=ttyS0\n",
    );
    expect(config).not.toBe(generated);
    const requests: string[] = [];
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      // a busy TCG guest reads slowly: Bun's default closes a connection idle for 10 s
      idleTimeout: 120,
      fetch(req) {
        const path = new URL(req.url).pathname;
        requests.push(path);
        if (path === "/config") return new Response(config);
        if (path.startsWith("/assets/")) {
          const file = join(out, path.slice("/assets/".length).replaceAll("/", ""));
          if (existsSync(file)) return new Response(Bun.file(file));
        }
        return new Response("not found", { status: 404 });
      },
    });
    try {
      const fd = openSync(diskFile, "w");
      ftruncateSync(fd, 2048 * 1024 * 1024);
      closeSync(fd);
      const base = `http://10.0.2.2:${server.port}`;
      const cmdline = `${readFileSync(join(out, "cmdline"), "utf8").trim()} console=ttyS0 bronze.config=${base}/config bronze.assets=${base}/assets`;
      mkdirSync(join(dir, "run"), { recursive: true });
      const serialPath = join(dir, "run/install.log");
      qemu = startQemu(serialPath, [
        ...["-kernel", join(out, "vmlinuz"), "-initrd", join(out, "initramfs.zst"), "-append", cmdline],
      ]);
      const deadline = Date.now() + BOOT_TIMEOUT_MS - 20_000;
      while (Date.now() < deadline && qemu.exitCode === null && !/Kernel panic/.test(read(serialPath)))
        await Bun.sleep(1000);
      const log = read(serialPath);
      const context = tail(log);
      expect(qemu.exitCode, `QEMU still running: the node did not reboot${context}`).not.toBeNull();
      expect(log, context).toContain(`config: downloaded from ${base}/config and saved`);
      expect(log, context).toContain(`install: installing Bronze to /dev/vda from ${base}/assets`);
      expect(log, context).toMatch(/install: initramfs\.zst: sha256 [0-9a-f]{16}\.\.\. verified/);
      expect(log, context).toContain("install: partitioning: BIOS");
      expect(log, context).toContain("install: GRUB for EFI (EFI/BOOT/BOOTX64.EFI)");
      expect(log, context).toContain("install: the config is saved on STATE (/dev/vda6)");
      expect(log, context).toMatch(/install: done in [0-9.]+ s; rebooting into \/dev\/vda/);
      expect(log, context).not.toContain("install failed");
      expect(requests).toEqual([
        "/config",
        "/assets/manifest.json",
        "/assets/vmlinuz",
        "/assets/initramfs.zst",
        "/assets/cmdline",
      ]);
      const table = JSON.parse(run(["sfdisk", "-J", diskFile])).partitiontable;
      expect(table.partitions.map((p: { name: string }) => p.name)).toEqual([
        "BIOS",
        "EFI",
        "BOOT-A",
        "BOOT-B",
        "META",
        "STATE",
        "EPHEMERAL",
      ]);
      installed = true;
    } finally {
      qemu?.kill("SIGKILL");
      await qemu?.exited;
      server.stop(true);
    }
  },
  BOOT_TIMEOUT_MS,
);

test(
  "the installed disk boots alone: config from STATE, no second install, osctl version answers",
  async () => {
    expect(installed, "the install test must pass first").toBe(true);
    const apidPort = await freePort();
    const serialPath = join(dir, "run/disk.log");
    qemu = startQemu(serialPath, [], apidPort);
    try {
      const osconfig = join(dir, "cfg/osconfig");
      const version = () =>
        runOsctl(["--osconfig", osconfig, "-e", `127.0.0.1:${apidPort}`, "version"], {
          binary: osctlBinary,
          timeoutMs: 30_000,
        });
      const deadline = Date.now() + BOOT_TIMEOUT_MS - 30_000;
      let answer = { code: -1, stdout: "", stderr: "" };
      while (Date.now() < deadline && qemu.exitCode === null && !/Kernel panic/.test(read(serialPath))) {
        if (/boot finished/.test(read(serialPath))) {
          answer = await version();
          if (answer.code === 0) break;
        }
        await Bun.sleep(3000);
      }
      const log = read(serialPath);
      const context = `${tail(log)}\n--- osctl ---\n${answer.stdout}${answer.stderr}`;
      expect(log, context).toContain("Booting `Bronze (slot A)'");
      expect(log, context).toMatch(
        /Kernel command line: BOOT_IMAGE=\/vmlinuz .* bronze\.hostname=installed-1 console=ttyS0/,
      );
      expect(log, context).toContain("hostname set to installed-1");
      expect(log, context).toContain("mounted the STATE (/dev/vda6) partition (ext4) on /system/state");
      expect(log, context).toContain("loadStoredConfig: config: using the config from STATE");
      expect(log, context).toContain("booted from an installed disk (STATE found)");
      expect(log, context).not.toContain("install: installing");
      expect(log, context).not.toContain("config: downloading");
      expect(answer.code, context).toBe(0);
      expect(answer.stdout).toContain("Platform:    qemu");
    } finally {
      qemu?.kill("SIGKILL");
      await qemu?.exited;
    }
  },
  BOOT_TIMEOUT_MS,
);

// The way out of a failed install (issue 6: "refuses a disk holding partitions unless wipe"): the node
// stays up in maintenance mode, and the config fixed with `osctl apply-config --insecure` installs.
test(
  "a disk holding partitions without wipe: refused, maintenance mode; apply-config --insecure with wipe installs",
  async () => {
    const used = join(dir, "used.img");
    const fd = openSync(used, "w");
    ftruncateSync(fd, 2048 * 1024 * 1024);
    closeSync(fd);
    const sfdisk = Bun.spawnSync(["sfdisk", "--quiet", used], {
      stdin: Buffer.from("label: gpt\n,64M\n"),
      stderr: "pipe",
    });
    expect(sfdisk.exitCode, sfdisk.stderr.toString()).toBe(0);
    const generated = readFileSync(join(dir, "cfg/controlplane.yaml"), "utf8");
    const config = generated.replace(
      /( {2}install:\n {4}disk: \/dev\/vda\n)/,
      "$1    extraKernelArgs:\n      - bronze.hostname=installed-2\n      - console=ttyS0\n",
    );
    expect(config).toContain("    wipe: false\n");
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      // a busy TCG guest reads slowly: Bun's default closes a connection idle for 10 s
      idleTimeout: 120,
      fetch(req) {
        const path = new URL(req.url).pathname;
        if (path === "/config") return new Response(config);
        const file = join(out, path.slice("/assets/".length).replaceAll("/", ""));
        return path.startsWith("/assets/") && existsSync(file)
          ? new Response(Bun.file(file))
          : new Response("not found", { status: 404 });
      },
    });
    const apidPort = await freePort();
    mkdirSync(join(dir, "run"), { recursive: true });
    const serialPath = join(dir, "run/refused.log");
    try {
      const base = `http://10.0.2.2:${server.port}`;
      const cmdline = `${readFileSync(join(out, "cmdline"), "utf8").trim()} console=ttyS0 bronze.hostname=refused bronze.config=${base}/config bronze.assets=${base}/assets`;
      qemu = startQemu(
        serialPath,
        ["-kernel", join(out, "vmlinuz"), "-initrd", join(out, "initramfs.zst"), "-append", cmdline],
        apidPort,
        used,
      );
      const fingerprintLine = /certificate fingerprint sha256:([0-9a-f]{64})/;
      let deadline = Date.now() + 240_000;
      while (Date.now() < deadline && qemu.exitCode === null && !fingerprintLine.test(read(serialPath)))
        await Bun.sleep(1000);
      let log = read(serialPath);
      expect(log, tail(log)).toContain("install failed: /dev/vda is not empty (1 partition(s)");
      expect(log, tail(log)).toContain("set machine.install.wipe: true to erase it");
      const fingerprint = fingerprintLine.exec(log)?.[1];
      expect(fingerprint, tail(log)).toBeDefined();

      const fixed = join(dir, "fixed.yaml");
      await Bun.write(fixed, config.replace("    wipe: false\n", "    wipe: true\n"));
      const apply = await runOsctl(
        [
          ...["apply-config", "--insecure", "-e", `127.0.0.1:${apidPort}`, "-f", fixed],
          ...["--cert-fingerprint", `sha256:${fingerprint}`],
        ],
        { binary: osctlBinary, timeoutMs: 60_000 },
      );
      expect(apply.code, `${apply.stdout}${apply.stderr}${tail(read(serialPath))}`).toBe(0);
      deadline = Date.now() + 300_000;
      while (Date.now() < deadline && qemu.exitCode === null) await Bun.sleep(1000);
      log = read(serialPath);
      const context = tail(log);
      expect(qemu.exitCode, `QEMU still running: the node did not reboot${context}`).not.toBeNull();
      expect(log, context).toContain("install: installing Bronze to /dev/vda from");
      expect(log, context).toContain("(wipe)");
      expect(log, context).toContain("install: the config is saved on STATE (/dev/vda6)");
      expect(log, context).toMatch(/install: done in [0-9.]+ s; rebooting into \/dev\/vda/);
      const table = JSON.parse(run(["sfdisk", "-J", used])).partitiontable;
      expect(table.partitions).toHaveLength(7);
    } finally {
      qemu?.kill("SIGKILL");
      await qemu?.exited;
      server.stop(true);
    }
  },
  BOOT_TIMEOUT_MS + 120_000,
);
