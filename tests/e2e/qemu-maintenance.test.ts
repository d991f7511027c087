// Maintenance mode under QEMU (issue 6; docs/design.md §2): `osctl cluster create --no-config` boots one
// node without bronze.config=, so machined enters maintenance mode and apid serves a self-signed
// certificate whose fingerprint machined shows on the serial console. The create stops there and
// prints, per node, the exact `osctl apply-config --insecure` command pinned to that fingerprint.
// In maintenance, Version answers without a client certificate and a call outside the small API is
// refused; apply-config with a wrong fingerprint is refused before anything is sent; the printed
// command brings the node up, and `osctl version` then answers over mTLS with the cluster's context.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "@bronze/testing";
import { pinnedConnectCall } from "./src/pinned-connect.ts";
import { processesMentioning } from "./src/qemu-processes.ts";
import { REPO_ROOT } from "./src/repo-root.ts";
import { runOsctl } from "./src/run-osctl.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-e2e-maintenance-"));
const home = join(dir, "home");
const out = join(dir, "out");
const osctlBinary = join(dir, "osctl");
const osconfig = join(dir, "osconfig");
const NAME = "maint";
const stateDir = join(home, ".osctl/clusters", NAME);
const serialLog = join(stateDir, `${NAME}-controlplane-1/serial.log`);
const M = "bronze.machine.v1.MachineService";

function osctl(args: string[], timeoutMs = 60_000) {
  return runOsctl(["--osconfig", osconfig, ...args], {
    cwd: dir,
    timeoutMs,
    binary: osctlBinary,
    env: { HOME: home },
  });
}

function run(argv: string[], cwd: string) {
  const proc = Bun.spawnSync(argv, { cwd, stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0)
    throw new Error(`${argv.join(" ")} failed (${proc.exitCode}): ${proc.stderr.toString().slice(-2000)}`);
}

const serialTail = () =>
  existsSync(serialLog) ? readFileSync(serialLog, "utf8").split("\n").slice(-30).join("\n") : "(none)";

beforeAll(() => {
  mkdirSync(home);
  run(["bun", "image/src/main.ts", "build", "--profile", "qemu", "--out", out], REPO_ROOT);
  run(["bun", "apps/osctl/scripts/build.ts", osctlBinary], REPO_ROOT);
}, 1_200_000); // the build may wait for the other e2e lane's builds (image/src/work-lock.ts)

afterAll(async () => {
  if (existsSync(join(stateDir, "state.json"))) await osctl(["cluster", "destroy", "--name", NAME]);
  for (const pid of processesMentioning(dir)) process.kill(pid, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

test("a node booted without a config waits in maintenance mode; the printed apply-config brings it up", async () => {
  const create = await osctl(
    [
      ...["--timeout", "8m", "cluster", "create", "--name", NAME, "--controlplanes", "1", "--workers", "0"],
      ...["--memory", "768", "--assets", out, "--no-config"],
    ],
    600_000,
  );
  const context = `\n--- stdout ---\n${create.stdout}\n--- stderr ---\n${create.stderr}\n--- serial tail ---\n${serialTail()}`;
  if (create.code !== 0) throw new Error(`cluster create --no-config failed (${create.code})${context}`);

  // No bronze.config= on the node's command line: it never asked the config server for anything.
  const argv: string[] = JSON.parse(readFileSync(join(stateDir, `${NAME}-controlplane-1/qemu.argv`), "utf8"));
  expect(argv[argv.indexOf("-append") + 1]).not.toContain("bronze.config=");
  const serial = readFileSync(serialLog, "utf8");
  expect(serial).toContain("no config stored and no bronze.config= URL: entering maintenance mode");

  // The wait stopped at the fingerprint, the same one the console shows.
  const shown = /maint-controlplane-1: maintenance mode, fingerprint sha256:([0-9a-f]{64})/.exec(
    create.stdout,
  );
  if (!shown) throw new Error(`no fingerprint in the create output${context}`);
  const fingerprint = shown[1] as string;
  expect(serial).toContain(`machined: apid: maintenance mode, certificate fingerprint sha256:${fingerprint}`);
  expect(create.stdout).toContain('cluster "maint" is up, 1 node(s) in maintenance mode');

  // The exact command for the node: its forwarded port, its config kept in the state dir, the fingerprint.
  const state = JSON.parse(readFileSync(join(stateDir, "state.json"), "utf8"));
  const port: number = state.nodes[0].apidPort;
  const configFile = join(stateDir, `${NAME}-controlplane-1/config.yaml`);
  const command = `osctl apply-config --insecure -e 127.0.0.1:${port} -f ${configFile} --cert-fingerprint sha256:${fingerprint} --mode no-reboot`;
  expect(create.stdout).toContain(`  ${command}\n`);
  expect(readFileSync(configFile, "utf8")).toContain("hostname: maint-controlplane-1");

  // Maintenance mode: Version answers without a client certificate (pinned); other calls are refused.
  const apid = { host: "127.0.0.1", port };
  const version = await pinnedConnectCall(apid, fingerprint, `${M}/Version`);
  expect(version.status).toBe(200);
  expect(version.body.maintenance).toBe(true);
  const services = await pinnedConnectCall(apid, fingerprint, `${M}/ServiceList`);
  expect(services.status).toBe(403);
  expect(services.body.code).toBe("permission_denied");
  expect(String(services.body.message)).toContain("not available in maintenance mode");
  // No client certificate: the cluster's context is not accepted yet either (no mTLS in maintenance).
  const early = await osctl(["--context", NAME, "--timeout", "20s", "version"]);
  expect(early.code).not.toBe(0);

  // A wrong fingerprint: refused by osctl before the config leaves the host.
  const wrong = "0".repeat(64);
  const refused = await osctl(
    ["apply-config", "--insecure", "-e", `127.0.0.1:${port}`, "-f", configFile, "--cert-fingerprint", wrong],
    120_000,
  );
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(
    `server certificate fingerprint ${fingerprint.toUpperCase()} does not match`,
  );
  expect(refused.stderr).toContain("nothing was sent");
  expect((await pinnedConnectCall(apid, fingerprint, `${M}/Version`)).body.maintenance).toBe(true);

  // The printed command, as a user would paste it.
  const words = command.split(" ");
  expect(words[0]).toBe("osctl");
  const applied = await runOsctl(words.slice(1), {
    cwd: dir,
    timeoutMs: 180_000,
    binary: osctlBinary,
    env: { HOME: home },
  });
  if (applied.code !== 0)
    throw new Error(
      `apply-config failed (${applied.code}): ${applied.stdout}${applied.stderr}\n${serialTail()}`,
    );
  expect(applied.stdout).toContain("Applied without a reboot");

  // apid restarts with the node's certificates: the context's mTLS client gets in.
  const secure = await waitFor(
    async () => {
      const v = await osctl(["--context", NAME, "--timeout", "60s", "version"], 90_000);
      if (v.code !== 0) throw new Error(v.stderr.trim());
      return v;
    },
    { what: "osctl version over mTLS after apply-config", timeoutMs: 300_000, intervalMs: 3_000 },
  );
  expect(secure.stdout).toContain("Platform:    qemu");
  expect(secure.stdout).toContain("Maintenance: no");
  const after = readFileSync(serialLog, "utf8");
  expect(after).toContain("config: stopping the maintenance apid");
  expect(after).toContain("config: apid starts again once the node's certificates are written");

  const destroy = await osctl(["cluster", "destroy", "--name", NAME]);
  expect(destroy.code).toBe(0);
  expect(processesMentioning(dir)).toEqual([]);
  expect(existsSync(stateDir)).toBe(false);
}, 1_200_000);
