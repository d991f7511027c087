// Defaults matter most (issue 10): a control plane booted from the kernel and initramfs with
// `bronze.config=<url>` serving the config EXACTLY as `osctl gen config` writes it (no patch, no flag),
// on plain QEMU user networking (one NIC, a DHCP server that gives no hostname) and without
// `bronze.hostname=` (which `osctl cluster create` always passes), serves its API over mTLS with the
// osconfig gen config wrote: the node names itself after its MAC address (bronze-525400123456, from
// QEMU's default MAC), issues its certificates for that name, and apid answers.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor } from "@bronze/testing";
import { processesMentioning } from "./src/qemu-processes.ts";
import { REPO_ROOT } from "./src/repo-root.ts";
import { runOsctl } from "./src/run-osctl.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-e2e-defaults-"));
const out = join(dir, "out");
const cfg = join(dir, "cfg");
const osctlBinary = join(dir, "osctl");
const serialPath = join(dir, "serial.log");
/** QEMU's default MAC for the first NIC, 52:54:00:12:34:56, makes this name. */
const GENERATED = "bronze-525400123456";
let qemu: ReturnType<typeof Bun.spawn> | undefined;
let server: ReturnType<typeof Bun.serve> | undefined;

function run(argv: string[], cwd = REPO_ROOT): string {
  const proc = Bun.spawnSync(argv, { cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0)
    throw new Error(`${argv.join(" ")} failed (${proc.exitCode}): ${proc.stderr.toString().slice(-2000)}`);
  return proc.stdout.toString();
}

const serialTail = () =>
  `\n--- serial tail ---\n${existsSync(serialPath) ? readFileSync(serialPath, "utf8").replaceAll("\r", "").split("\n").slice(-40).join("\n") : "(none)"}`;

beforeAll(() => {
  run(["bun", "image/src/main.ts", "build", "--profile", "qemu", "--out", out, "--no-disk"]);
  run(["bun", "apps/osctl/scripts/build.ts", osctlBinary]);
  // Exactly what a new user runs: no patch, no SAN, no hostname.
  run([osctlBinary, "gen", "config", "defaults", "https://10.0.2.15:6443", "-o", cfg], dir);
}, 1_200_000); // the build may wait for the other e2e lane's builds (image/src/work-lock.ts)

afterAll(async () => {
  qemu?.kill("SIGKILL");
  await qemu?.exited;
  server?.stop(true);
  for (const pid of processesMentioning(dir)) process.kill(pid, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

test("gen config's controlplane.yaml, bronze.config=, no hostname from anywhere: the node names itself and serves its API over mTLS", async () => {
  const config = readFileSync(join(cfg, "controlplane.yaml"), "utf8");
  expect(config).not.toMatch(/^\s+hostname:/m);
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 120,
    fetch: (req) =>
      new URL(req.url).pathname === "/controlplane.yaml"
        ? new Response(config)
        : new Response("not found", { status: 404 }),
  });
  const apidPort = await freePort();
  const cmdline = `${readFileSync(join(out, "cmdline"), "utf8").trim()} console=ttyS0 bronze.config=http://10.0.2.2:${server.port}/controlplane.yaml`;
  expect(cmdline).not.toContain("bronze.hostname=");
  mkdirSync(dir, { recursive: true });
  qemu = Bun.spawn(
    [
      "qemu-system-x86_64",
      ...["-accel", "tcg", "-cpu", "max", "-m", "512", "-smp", "1"],
      ...["-display", "none", "-no-reboot", "-serial", `file:${serialPath}`],
      ...["-nic", `user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:${apidPort}-:50000`],
      ...["-kernel", join(out, "vmlinuz"), "-initrd", join(out, "initramfs.zst"), "-append", cmdline],
    ],
    { stdin: "ignore", stdout: "ignore", stderr: "pipe" },
  );
  const osctl = (...args: string[]) =>
    runOsctl(
      ["--osconfig", join(cfg, "osconfig"), "-e", `127.0.0.1:${apidPort}`, "-n", "127.0.0.1", ...args],
      {
        binary: osctlBinary,
        cwd: dir,
        timeoutMs: 60_000,
      },
    );
  const version = await waitFor(
    async () => {
      if (qemu?.exitCode !== null) throw new Error(`QEMU exited (${qemu?.exitCode})`);
      const res = await osctl("--timeout", "20s", "version");
      if (res.code !== 0) throw new Error(res.stderr.trim());
      return res.stdout;
    },
    {
      what: `apid over mTLS on the node booted with gen config's defaults${serialTail()}`,
      timeoutMs: 420_000,
      intervalMs: 3000,
    },
  );
  expect(version).toContain("Server:");
  const serial = readFileSync(serialPath, "utf8");
  expect(serial).toContain(`using ${GENERATED} (from the MAC address)`);
  expect(serial).not.toContain("commonName: must be a non-empty string");
  const hostname = await osctl("read", "/proc/sys/kernel/hostname");
  expect(hostname.stdout.trim(), hostname.stderr).toBe(GENERATED);
  // trustd starts once apid is healthy, so it may still be starting when the API first answers
  const services = await waitFor(
    async () => {
      const res = await osctl("services");
      if (res.code !== 0) throw new Error(res.stderr.trim());
      const notRunning = ["machined", "containerd", "pki", "apid", "trustd"].filter(
        (id) => !new RegExp(`^${id}\\s+Running\\b`, "m").test(res.stdout),
      );
      if (notRunning.length > 0) throw new Error(`not running: ${notRunning.join(", ")}\n${res.stdout}`);
      return res.stdout;
    },
    { what: "every system service running", timeoutMs: 180_000, intervalMs: 2000 },
  );
  expect(services).toMatch(/^trustd\s+Running\b/m);
}, 600_000);
