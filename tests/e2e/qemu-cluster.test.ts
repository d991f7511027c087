// A real local cluster (DESIGN.md §7, §9 step 3): build the qemu image and the compiled osctl, then
// `osctl cluster create` one control plane under QEMU (TCG here), as a user would. The node must get
// its config from the detached config server and finish booting; when this image's machined runs
// apid, the API must answer `osctl version` over mTLS through the forwarded port. `cluster show`
// lists the node alive, `cluster destroy` leaves no QEMU process, no state and no context behind.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { REPO_ROOT } from "./src/repo-root.ts";
import { runOsctl } from "./src/run-osctl.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-e2e-qemu-"));
const home = join(dir, "home");
const out = join(dir, "out");
const osctlBinary = join(dir, "osctl");
const osconfig = join(dir, "osconfig");
const stateDir = join(home, ".osctl/clusters/e2e");

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

/** QEMU processes (not zombies) whose command line mentions this test's directory. */
function qemuProcesses(): number[] {
  const found: number[] = [];
  for (const pid of Array.from(new Bun.Glob("[0-9]*").scanSync({ cwd: "/proc", onlyFiles: false }))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (cmdline.startsWith("qemu-system") && cmdline.includes(dir) && state !== "Z")
        found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

beforeAll(() => {
  mkdirSync(home);
  // Warm caches make both quick: the image in ~5 s, osctl in ~20 s.
  run(["bun", "image/src/main.ts", "build", "--profile", "qemu", "--out", out], REPO_ROOT);
  run(["bun", "apps/osctl/scripts/build.ts", osctlBinary], REPO_ROOT);
}, 300_000);

afterAll(async () => {
  if (existsSync(join(stateDir, "state.json"))) await osctl(["cluster", "destroy", "--name", "e2e"]);
  for (const pid of qemuProcesses()) process.kill(pid, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

test("cluster create boots a control plane that gets its config; show and destroy", async () => {
  const create = await osctl(
    [
      "--timeout",
      "3m",
      "cluster",
      "create",
      "--name",
      "e2e",
      "--controlplanes",
      "1",
      "--workers",
      "0",
      "--memory",
      "768",
      "--assets",
      out,
    ],
    300_000,
  );
  const serial = join(stateDir, "e2e-controlplane-1/serial.log");
  const context = () =>
    `\n--- stdout ---\n${create.stdout}\n--- stderr ---\n${create.stderr}\n--- serial tail ---\n${
      existsSync(serial) ? readFileSync(serial, "utf8").split("\n").slice(-30).join("\n") : "(none)"
    }`;
  if (create.code !== 0) throw new Error(`cluster create failed (${create.code})${context()}`);
  expect(create.stdout).toContain("e2e-controlplane-1: kernel booting");
  expect(create.stdout).toContain("e2e-controlplane-1: machined started");
  expect(create.stdout).toMatch(
    /e2e-controlplane-1: config downloaded from http:\/\/10\.0\.2\.2:\d+\/config\?mac=52%3A54/,
  );
  expect(create.stdout).toContain("e2e-controlplane-1: containerd up");
  expect(create.stdout).toContain(`osctl --osconfig ${osconfig} --context e2e version`);

  // The config server served the node its own config, found by the MAC machined substituted.
  const state = JSON.parse(readFileSync(join(stateDir, "state.json"), "utf8"));
  const mac: string = state.nodes[0].mac;
  expect(readFileSync(state.server.log, "utf8")).toContain(
    `-> 200 ${join(stateDir, "configs", `${mac}.yaml`)}`,
  );
  expect(readFileSync(serial, "utf8")).toContain("hostname set to e2e-controlplane-1");

  // The context was merged, with the forwarded apid port as its endpoint.
  const config = parse(readFileSync(osconfig, "utf8"));
  expect(config.context).toBe("e2e");
  expect(config.contexts.e2e.endpoints).toEqual([`127.0.0.1:${state.nodes[0].apidPort}`]);

  if (create.stdout.includes("API answers over mTLS")) {
    const version = await osctl(["--context", "e2e", "version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toContain("NODE:");
    expect(version.stdout).toContain("Platform:    qemu");
  } else {
    // This image's machined starts no apid yet: the wait says so instead of timing out.
    expect(create.stdout).toContain("this image's machined starts no apid");
  }

  const show = await osctl(["cluster", "show", "--name", "e2e", "-o", "json"]);
  expect(show.code).toBe(0);
  const shown = JSON.parse(show.stdout);
  expect(
    shown.nodes.map((n: { name: string; role: string; alive: boolean }) => [n.name, n.role, n.alive]),
  ).toEqual([["e2e-controlplane-1", "controlplane", true]]);
  expect(shown.server.alive).toBe(true);
  expect(qemuProcesses()).toEqual([state.nodes[0].pid]);

  const destroy = await osctl(["cluster", "destroy", "--name", "e2e"]);
  expect(destroy.code).toBe(0);
  expect(qemuProcesses()).toEqual([]);
  expect(existsSync(stateDir)).toBe(false);
  expect(parse(readFileSync(osconfig, "utf8")).contexts.e2e).toBeUndefined();
  const again = await osctl(["cluster", "show", "--name", "e2e"]);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('no cluster "e2e"');
}, 420_000);
