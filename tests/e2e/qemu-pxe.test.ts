// Network boot under QEMU (docs/design.md §2, §7): `osctl cluster create --boot pxe --no-wait` starts a
// node whose NIC's iPXE ROM gets the script URL from slirp's DHCP; the script, the kernel, the
// initramfs and then machined's config request must all be served by the detached
// `osctl pxe serve`, each matched to the node by its MAC. Built and driven like a user would: the
// qemu image and the compiled osctl.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./src/repo-root.ts";
import { runOsctl } from "./src/run-osctl.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-e2e-pxe-"));
const home = join(dir, "home");
const out = join(dir, "out");
const osctlBinary = join(dir, "osctl");
const osconfig = join(dir, "osconfig");
const stateDir = join(home, ".osctl/clusters/pxe");

function osctl(args: string[], timeoutMs = 60_000) {
  return runOsctl(["--osconfig", osconfig, ...args], {
    cwd: dir,
    timeoutMs,
    binary: osctlBinary,
    env: { HOME: home },
  });
}

function run(argv: string[]) {
  const proc = Bun.spawnSync(argv, { cwd: REPO_ROOT, stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0)
    throw new Error(`${argv.join(" ")} failed (${proc.exitCode}): ${proc.stderr.toString().slice(-2000)}`);
}

const read = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : "");

beforeAll(() => {
  mkdirSync(home);
  run(["bun", "image/src/main.ts", "build", "--profile", "qemu", "--out", out]);
  run(["bun", "apps/osctl/scripts/build.ts", osctlBinary]);
}, 1_200_000); // the build may wait for the other e2e lane's builds (image/src/work-lock.ts)

afterAll(async () => {
  if (existsSync(join(stateDir, "state.json"))) await osctl(["cluster", "destroy", "--name", "pxe"]);
  rmSync(dir, { recursive: true, force: true });
});

test("a node boots over iPXE from osctl pxe serve and downloads its config by MAC", async () => {
  const create = await osctl([
    ...["cluster", "create", "--name", "pxe", "--boot", "pxe", "--no-wait"],
    ...["--controlplanes", "1", "--workers", "0", "--memory", "768", "--assets", out],
  ]);
  expect(create.stderr).toBe("");
  expect(create.code).toBe(0);
  const state = JSON.parse(readFileSync(join(stateDir, "state.json"), "utf8"));
  expect(state.boot).toBe("pxe");
  const mac: string = state.nodes[0].mac;
  const serverLog: string = state.server.log;
  const serial: string = state.nodes[0].serialLog;

  // Wait for the hostname too: machined sets it after the download, so checking the serial log
  // right after the download line raced with it.
  const booted = () => /config: downloaded from/.test(read(serial)) && /hostname set to /.test(read(serial));
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline && !booted()) {
    if (/Kernel panic|sequence failed/.test(read(serial))) break;
    await Bun.sleep(1000);
  }
  const context = `\n--- server log ---\n${read(serverLog)}\n--- serial tail ---\n${read(serial).split("\n").slice(-20).join("\n")}`;
  if (!/config: downloaded from/.test(read(serial))) throw new Error(`no config downloaded${context}`);

  // Every step came from the config server, in order, for this node's MAC.
  const requests = read(serverLog)
    .split("\n")
    .filter((l) => l.includes(" GET /") && !l.includes("/healthz"))
    .map((l) => l.replace(/^\S+ /, ""));
  const encoded = encodeURIComponent(mac);
  expect(requests).toEqual([
    `GET /boot.ipxe?mac=${encoded} -> 200 ${join(stateDir, "configs", `${mac}.ipxe`)}`,
    `GET /assets/vmlinuz -> 200 ${join(out, "vmlinuz")}`,
    `GET /assets/initramfs.zst -> 200 ${join(out, "initramfs.zst")}`,
    `GET /config?mac=${mac} -> 200 ${join(stateDir, "configs", `${mac}.yaml`)}`,
  ]);
  // iPXE expanded ${mac} on the kernel command line; machined used it as given.
  expect(read(serial)).toContain(`bronze.config=http://10.0.2.2:${state.server.port}/config?mac=${mac}`);
  expect(read(serial)).toContain("hostname set to pxe-controlplane-1");

  const destroy = await osctl(["cluster", "destroy", "--name", "pxe"]);
  expect(destroy.code).toBe(0);
  expect(existsSync(stateDir)).toBe(false);
}, 300_000);
