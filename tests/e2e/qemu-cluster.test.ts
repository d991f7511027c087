// A real local cluster (docs/design.md §7, §9 step 3; issue 6 "End-to-end tests"): build the qemu image
// and the compiled osctl, then `osctl cluster create` one control plane and one worker under QEMU
// (TCG here, direct kernel boot), as a user would. ONE cluster serves the whole file (booting costs
// minutes under emulation), so the tests run in order as steps of one chain (src/steps.ts):
// - the nodes' API through the control plane's endpoint: version, services, logs, dmesg, ls, read;
// - the root filesystem is read-only: a config writing outside /var is refused (validate and
//   apply-config --dry-run), and the node shows its root as a read-only squashfs;
// - the worker's apid certificate was signed by the control plane's trustd;
// - etcd: members, status, a snapshot etcdctl accepts, the refusals; the control plane rebooted (its
//   etcd data was in memory) and recovered with `bootstrap --recover-from` another etcd's snapshot;
// - a reader-role client config reads but cannot reboot;
// - `reboot --wait` of the worker comes back; `shutdown` ends its QEMU process;
// - `cluster show` and `cluster destroy` leave nothing behind.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestEtcdCluster } from "@bronze/etcd-client/testing";
import { decodePemBase64, inspectCertificate, verifyCertificate } from "@bronze/pki";
import { waitFor } from "@bronze/testing";
import { parse, stringify } from "yaml";
import { peerCertificate } from "./src/peer-certificate.ts";
import { processesMentioning } from "./src/qemu-processes.ts";
import { REPO_ROOT } from "./src/repo-root.ts";
import { type CliResult, runOsctl } from "./src/run-osctl.ts";
import { Steps } from "./src/steps.ts";

const NAME = "e2e";
const CP = `${NAME}-controlplane-1`;
const WORKER = `${NAME}-worker-1`;
// `osctl cluster create` gives the cluster network's addresses in order: control planes, then workers.
const CP_IP = "10.5.0.2";
const WORKER_IP = "10.5.0.3";

const dir = mkdtempSync(join(tmpdir(), "bronze-e2e-qemu-"));
const home = join(dir, "home");
const out = join(dir, "out");
const osctlBinary = join(dir, "osctl");
const osconfig = join(dir, "osconfig");
const stateDir = join(home, `.osctl/clusters/${NAME}`);

interface NodeState {
  name: string;
  role: string;
  pid: number;
  mac: string;
  clusterIp: string;
  apidPort: number;
  serialLog: string;
}
interface ClusterState {
  server: { log: string };
  nodes: NodeState[];
}

// The tests are steps of one chain on one booted cluster (booting more would cost CI minutes): each
// names the steps it needs and, when one of them failed, says so instead of failing on a cluster that
// is not there. The read-only checks need only the cluster; the worker's reboot, its shutdown and the
// cluster's destruction each need the step before.
const steps = new Steps(test);
const CREATE = "cluster create boots a control plane and a worker that both get their config and answer";
const REBOOT = "reboot --wait of the worker comes back";
const SHUTDOWN = "shutdown of the worker ends its QEMU process";

/** Set by the first test; the others need the cluster it created. */
let cluster: { state: ClusterState; cp: NodeState; worker: NodeState; endpoint: string } | undefined;

function running() {
  if (!cluster) throw new Error("no cluster: `cluster create` failed in the first test");
  return cluster;
}

function osctl(args: string[], timeoutMs = 120_000, config = osconfig) {
  return runOsctl(["--osconfig", config, ...args], {
    cwd: dir,
    timeoutMs,
    binary: osctlBinary,
    env: { HOME: home },
  });
}

/** osctl against the control plane's forwarded apid port, with `--timeout` for slow nodes. */
function viaControlPlane(args: string[], timeoutMs = 120_000, config = osconfig) {
  return osctl(["-e", running().endpoint, "--timeout", "90s", ...args], timeoutMs, config);
}

function tail(path: string, lines = 40): string {
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").slice(-lines).join("\n") : "(none)";
}

/** A failed osctl call, with its output and the end of both serial logs, for the test's message. */
function explain(what: string, result: CliResult): string {
  const serials = cluster
    ? cluster.state.nodes.map((n) => `\n--- ${n.name} serial tail ---\n${tail(n.serialLog)}`).join("")
    : "";
  return `${what} exited ${result.code}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}${serials}`;
}

function expectOk(what: string, result: CliResult): CliResult {
  if (result.code !== 0) throw new Error(explain(what, result));
  return result;
}

function run(argv: string[], cwd: string) {
  const proc = Bun.spawnSync(argv, { cwd, stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0)
    throw new Error(`${argv.join(" ")} failed (${proc.exitCode}): ${proc.stderr.toString().slice(-2000)}`);
}

/** QEMU processes (not zombies) whose command line mentions this test's directory. */
const qemuProcesses = () => processesMentioning(dir);

/** `osctl services` table rows: node, service, state, health. */
function serviceRows(table: string): { node: string; id: string; state: string; health: string }[] {
  return table
    .split("\n")
    .slice(1)
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [node = "", id = "", state = "", health = ""] = line.trim().split(/\s+/);
      return { node, id, state, health };
    });
}

/** The admin client certificate, key and the OS CA from the merged context. */
function adminCredentials(): { ca: string; crt: string; key: string } {
  const context = parse(readFileSync(osconfig, "utf8")).contexts[NAME];
  return {
    ca: decodePemBase64(context.ca),
    crt: decodePemBase64(context.crt),
    key: decodePemBase64(context.key),
  };
}

beforeAll(() => {
  mkdirSync(home);
  // Warm caches make both quick: the image in ~20 s, osctl in ~20 s.
  run(["bun", "image/src/main.ts", "build", "--profile", "qemu", "--out", out], REPO_ROOT);
  run(["bun", "apps/osctl/scripts/build.ts", osctlBinary], REPO_ROOT);
}, 1_200_000); // the build may wait for the other e2e lane's builds (image/src/work-lock.ts)

afterAll(async () => {
  if (existsSync(join(stateDir, "state.json"))) await osctl(["cluster", "destroy", "--name", NAME]);
  for (const pid of qemuProcesses()) process.kill(pid, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

steps.test(
  CREATE,
  [],
  async () => {
    // osctl's default guest RAM (512 MB with the compact initramfs). Measured on 2 shared, loaded
    // cores: both APIs answer after 150-340 s.
    const create = await osctl(
      [
        "--timeout",
        "15m",
        "cluster",
        "create",
        "--name",
        NAME,
        "--controlplanes",
        "1",
        "--workers",
        "1",
        "--assets",
        out,
      ],
      1_000_000,
    );
    const serials = [CP, WORKER]
      .map((n) => `\n--- ${n} serial tail ---\n${tail(join(stateDir, n, "serial.log"))}`)
      .join("");
    if (create.code !== 0) throw new Error(`${explain("cluster create", create)}${serials}`);
    for (const node of [CP, WORKER]) {
      expect(create.stdout).toContain(`${node}: kernel booting`);
      expect(create.stdout).toMatch(
        // The query (it may carry a token) is not logged: the server's log below shows the MAC used.
        new RegExp(`${node}: config downloaded from http://10\\.0\\.2\\.2:\\d+/config\\?…`),
      );
      expect(create.stdout).toContain(`${node}: API answers over mTLS`);
    }
    expect(create.stdout).toContain(`cluster "${NAME}" is up`);
    // as talosctl does, cluster create bootstrapped etcd on the control plane and waited for it
    expect(create.stdout).toContain(`${CP}: etcd bootstrapped`);
    expect(create.stdout).toContain("etcd healthy: 1 voting member");

    // Each node was served its own config, found by the MAC machined substituted.
    const state: ClusterState = JSON.parse(readFileSync(join(stateDir, "state.json"), "utf8"));
    const cp = state.nodes.find((n) => n.name === CP);
    const worker = state.nodes.find((n) => n.name === WORKER);
    if (!cp || !worker)
      throw new Error(`state.json lacks ${CP} or ${WORKER}: ${JSON.stringify(state.nodes)}`);
    expect([cp.role, cp.clusterIp, worker.role, worker.clusterIp]).toEqual([
      "controlplane",
      CP_IP,
      "worker",
      WORKER_IP,
    ]);
    const served = readFileSync(state.server.log, "utf8");
    for (const node of [cp, worker])
      expect(served).toContain(`-> 200 ${join(stateDir, "configs", `${node.mac}.yaml`)}`);
    expect(readFileSync(cp.serialLog, "utf8")).toContain(`hostname set to ${CP}`);
    expect(readFileSync(worker.serialLog, "utf8")).toContain(`hostname set to ${WORKER}`);

    // The context was merged, with the forwarded apid ports as its endpoints.
    const config = parse(readFileSync(osconfig, "utf8"));
    expect(config.context).toBe(NAME);
    expect(config.contexts[NAME].endpoints).toEqual([
      `127.0.0.1:${cp.apidPort}`,
      `127.0.0.1:${worker.apidPort}`,
    ]);
    cluster = { state, cp, worker, endpoint: `127.0.0.1:${cp.apidPort}` };
  },
  1_100_000,
);

steps.test("version answers for both nodes through the control plane's endpoint (-n)", [CREATE], async () => {
  const version = expectOk("version", await viaControlPlane(["-n", `${CP_IP},${WORKER_IP}`, "version"]));
  expect(version.stdout).toContain("Client:");
  for (const ip of [CP_IP, WORKER_IP]) expect(version.stdout).toContain(`NODE:        ${ip}`);
  expect(version.stdout.match(/Platform: {4}qemu/g)?.length).toBe(2);
  expect(version.stdout.match(/Maintenance: no/g)?.length).toBe(2);
});

steps.test(
  "services: containerd, apid, trustd running and healthy on the control plane; the worker has no trustd",
  [CREATE],
  async () => {
    // Health is a periodic check (a TLS request with a 1 s deadline): on a loaded host one can miss, and
    // the next one, 2 s later, passes. Polled until every service is Running and OK, then checked.
    const expected = [
      ...["containerd", "apid", "trustd"].map((id) => `${CP_IP} ${id}`),
      ...["containerd", "apid"].map((id) => `${WORKER_IP} ${id}`),
    ];
    let rows: ReturnType<typeof serviceRows> = [];
    await waitFor(
      async () => {
        const services = expectOk(
          "services",
          await viaControlPlane(["-n", `${CP_IP},${WORKER_IP}`, "services"]),
        );
        rows = serviceRows(services.stdout);
        const healthy = (key: string) =>
          rows.some((r) => `${r.node} ${r.id}` === key && r.state === "Running" && r.health === "OK");
        return expected.every(healthy) ? true : undefined;
      },
      { what: "every service Running and OK on both nodes", timeoutMs: 60_000, intervalMs: 2000 },
    ).catch(() => {}); // the assertions below say which one is not
    const on = (node: string) => rows.filter((r) => r.node === node);
    for (const id of ["containerd", "apid", "trustd"])
      expect(on(CP_IP).find((r) => r.id === id)).toEqual({ node: CP_IP, id, state: "Running", health: "OK" });
    for (const id of ["containerd", "apid"])
      expect(on(WORKER_IP).find((r) => r.id === id)).toEqual({
        node: WORKER_IP,
        id,
        state: "Running",
        health: "OK",
      });
    expect(on(WORKER_IP).map((r) => r.id)).not.toContain("trustd");
  },
);

steps.test("logs apid, dmesg, ls / and read /etc/os-release on the control plane", [CREATE], async () => {
  const logs = expectOk("logs apid", await viaControlPlane(["-n", CP_IP, "logs", "apid"]));
  expect(logs.stdout).toContain("apid: serving on 0.0.0.0:50000");

  const dmesg = expectOk("dmesg", await viaControlPlane(["-n", CP_IP, "dmesg"]));
  expect(dmesg.stdout).toContain("Linux version");
  expect(dmesg.stdout).toContain("Command line:");
  expect(dmesg.stdout).toContain("slab_nomerge");

  const ls = expectOk("ls /", await viaControlPlane(["-n", CP_IP, "ls", "/"]));
  const names = ls.stdout.split("\n").map((line) => line.trim().split(/\s+/).at(-1));
  for (const name of ["etc", "sbin", "system", "var", "proc"]) expect(names).toContain(name);

  const release = expectOk("read", await viaControlPlane(["-n", CP_IP, "read", "/etc/os-release"]));
  expect(release.stdout).toContain('NAME="Bronze"');
  expect(release.stdout).toContain("ID=bronze");
});

steps.test(
  "the root filesystem is read-only: a config file outside /var is refused, and / is a read-only squashfs",
  [CREATE],
  async () => {
    // (a) a machine.files entry on the read-only root: refused by `machineconfig patch` (which
    // validates its output), by `validate`, and by the node itself (apply-config --dry-run).
    const workerConfig = join(stateDir, "configs", `${running().worker.mac}.yaml`);
    const file = (path: string) => ({ path, content: "hello", permissions: 0o644, op: "create" });
    const patch = join(dir, "etc-file.yaml");
    writeFileSync(patch, stringify({ machine: { files: [file("/etc/bronze-e2e.conf")] } }));
    const patchRefused = await osctl(["machineconfig", "patch", workerConfig, "-p", `@${patch}`]);
    expect(patchRefused.code).toBe(1);
    expect(patchRefused.stderr).toContain(
      "machine.files[0].path: /etc/bronze-e2e.conf is on the read-only root filesystem",
    );

    const withFile = (path: string) => {
      const config = parse(readFileSync(workerConfig, "utf8"));
      config.machine.files = [file(path)];
      const written = join(dir, `worker-with-${path.split("/")[1]}-file.yaml`);
      writeFileSync(written, stringify(config));
      return written;
    };
    const onRoot = withFile("/etc/bronze-e2e.conf");
    const validate = await osctl(["validate", "--config", onRoot, "--mode", "qemu"]);
    expect(validate.code).toBe(1);
    expect(`${validate.stdout}${validate.stderr}`).toContain(
      "machine.files[0].path: /etc/bronze-e2e.conf is on the read-only root filesystem",
    );
    const dryRun = await viaControlPlane(["-n", WORKER_IP, "apply-config", "-f", onRoot, "--dry-run"]);
    expect(dryRun.code).toBe(1);
    expect(dryRun.stderr).toContain(
      "machine.files[0].path: /etc/bronze-e2e.conf is on the read-only root filesystem",
    );

    // The same entry under /var is accepted: the dry run shows it in the diff and changes nothing.
    const varDryRun = expectOk(
      "apply-config --dry-run",
      await viaControlPlane([
        "-n",
        WORKER_IP,
        "apply-config",
        "-f",
        withFile("/var/bronze-e2e.conf"),
        "--dry-run",
      ]),
    );
    expect(`${varDryRun.stdout}${varDryRun.stderr}`).toContain("/var/bronze-e2e.conf");
    expect(`${varDryRun.stdout}${varDryRun.stderr}`).toContain("dry run: nothing changed");

    // (b) on the node: / is the squashfs, mounted read-only (the kernel's own view, and the Mounts API).
    const mountinfo = expectOk(
      "read mountinfo",
      await viaControlPlane(["-n", CP_IP, "read", "/proc/self/mountinfo"]),
    );
    // mountinfo: "<id> <parent> <dev> <root> <mount point> <options> ... - <fstype> <source> <super options>"
    const root = mountinfo.stdout.split("\n").find((line) => line.split(" ")[4] === "/");
    expect(root).toBeDefined();
    const mountOptions = root?.split(" ")[5] ?? "";
    const fsType = root?.split(" - ")[1]?.split(" ")[0];
    expect(fsType).toBe("squashfs");
    expect(mountOptions.split(",")).toContain("ro");

    const mounts = expectOk("mounts", await viaControlPlane(["-n", CP_IP, "mounts", "-o", "json"]));
    const listed: { mountedOn: string; fsType: string; options: string }[] = JSON.parse(mounts.stdout)[0]
      .mounts;
    const rootMount = listed.find((m) => m.mountedOn === "/");
    expect(rootMount?.fsType).toBe("squashfs");
    expect(rootMount?.options.split(",")).toContain("ro");
    // What is writable is tmpfs: /system and /var.
    expect(listed.find((m) => m.mountedOn === "/var")?.options.split(",")).toContain("rw");
  },
);

steps.test("the worker's apid certificate was signed by the control plane's trustd", [CREATE], async () => {
  const { cp, worker } = running();
  const admin = adminCredentials();
  const presented = await peerCertificate({
    host: "127.0.0.1",
    port: worker.apidPort,
    cert: admin.crt,
    key: admin.key,
  });
  await verifyCertificate(presented, admin.ca); // signed by the cluster's OS CA
  const info = inspectCertificate(presented);
  // trustd names it after the address the worker called from (the CSR's subject is ignored).
  expect(info.commonName).toBe(WORKER_IP);
  expect(info.issuer).toBe(inspectCertificate(admin.ca).subject);
  expect(info.isCA).toBe(false);
  expect(info.extendedKeyUsages).toEqual(["serverAuth"]);
  // trustd signs only the address the node called it from (plus the loopback names).
  expect(info.ipAddresses).toContain(WORKER_IP);
  expect(info.ipAddresses).not.toContain(CP_IP);

  // The worker could not have signed it itself: its config holds the CA certificate, not the key.
  const workerConfig = parse(readFileSync(join(stateDir, "configs", `${worker.mac}.yaml`), "utf8"));
  expect(workerConfig.machine.type).toBe("worker");
  expect(workerConfig.machine.ca.crt).toBeTruthy();
  expect(workerConfig.machine.ca.key ?? "").toBe("");
  // The control plane issues its own; the two are different certificates from the same CA.
  const cpInfo = inspectCertificate(
    await peerCertificate({ host: "127.0.0.1", port: cp.apidPort, cert: admin.crt, key: admin.key }),
  );
  expect(cpInfo.commonName).toBe(CP);
  expect(cpInfo.serialNumber).not.toBe(info.serialNumber);

  // The worker's pki service says where the certificate came from.
  const pki = expectOk("logs pki", await viaControlPlane(["-n", WORKER_IP, "logs", "pki"]));
  expect(pki.stdout).toContain(`certificates written, signed by trustd at ${CP_IP}:50001`);
});

steps.test("calls to the worker go through the control plane's apid", [CREATE], async () => {
  // Only the control plane's endpoint is given: the worker is reached on the cluster network.
  const read = expectOk(
    "read on the worker",
    await viaControlPlane(["-n", WORKER_IP, "read", "/proc/sys/kernel/hostname"]),
  );
  expect(read.stdout.trim()).toBe(WORKER);
  const logs = expectOk("logs apid on the worker", await viaControlPlane(["-n", WORKER_IP, "logs", "apid"]));
  expect(logs.stdout).toContain("apid: serving on 0.0.0.0:50000");
  // A node that is not there fails alone, labelled, and the others still answer.
  const mixed = await viaControlPlane(["-n", `${WORKER_IP},10.5.0.99`, "--timeout", "20s", "version"]);
  expect(mixed.code).toBe(1);
  expect(mixed.stdout).toContain(`NODE:        ${WORKER_IP}`);
  expect(mixed.stderr).toContain("10.5.0.99");
});

steps.test(
  "a kernel-booted node refuses upgrade and rollback: it has no boot slots of its own",
  [CREATE],
  async () => {
    for (const args of [["upgrade", "--image", "http://10.0.2.2:1/assets"], ["rollback"]]) {
      const r = await viaControlPlane(["-n", WORKER_IP, ...args]);
      expect(r.code, explain(args[0] as string, r)).toBe(1);
      expect(r.stderr).toContain(
        `${WORKER_IP}: failed precondition: ${args[0]} refused: this node did not boot from an installed disk (it runs from the network or memory); it is upgraded by what its boot server serves`,
      );
    }
    // a node that did not boot from a disk shows no slot
    const version = expectOk("version", await viaControlPlane(["-n", WORKER_IP, "version"]));
    expect(version.stdout).not.toContain("Slot:");
  },
);

steps.test(
  "etcd on the control plane: one started member, its status, a snapshot etcdctl accepts, and the refusals",
  [CREATE],
  async () => {
    const members = expectOk(
      "etcd members",
      await viaControlPlane(["-n", CP_IP, "etcd", "members", "-o", "json"]),
    );
    const [listed] = JSON.parse(members.stdout) as {
      members: { id: string; hostname: string; peerUrls: string[]; isLearner: boolean }[];
    }[];
    expect(listed?.members.map((m) => [m.hostname, m.peerUrls, m.isLearner])).toEqual([
      [CP, [`https://${CP_IP}:2380`], false],
    ]);
    const status = expectOk(
      "etcd status",
      await viaControlPlane(["-n", CP_IP, "etcd", "status", "-o", "json"]),
    );
    const [s] = JSON.parse(status.stdout) as {
      memberId: string;
      leaderId: string;
      version: string;
      storage: string;
    }[];
    expect(s?.memberId).toBe(listed?.members[0]?.id);
    expect(s?.leaderId).toBe(s?.memberId);
    expect(s?.version).toMatch(/^3\.4\./);
    // a network-booted node keeps etcd's data in memory, and says so
    expect(s?.storage).toContain("tmpfs");
    // two nodes: the table has its NODE column (serviceRows reads it); the worker runs no etcd
    const services = expectOk("services", await viaControlPlane(["-n", `${CP_IP},${WORKER_IP}`, "services"]));
    const rows = serviceRows(services.stdout);
    expect(rows.find((r) => r.node === CP_IP && r.id === "etcd")).toMatchObject({ state: "Running" });
    expect(rows.filter((r) => r.node === WORKER_IP).map((r) => r.id)).not.toContain("etcd");

    // a snapshot through apid, accepted by Debian's etcdctl
    const file = join(dir, "etcd.snapshot");
    const snap = expectOk("etcd snapshot", await viaControlPlane(["-n", CP_IP, "etcd", "snapshot", file]));
    expect(snap.stderr).toContain(`${CP_IP}: snapshot saved to ${file}`);
    const checked = Bun.spawnSync(["etcdctl", "snapshot", "status", file, "-w", "json"], {
      env: { ...process.env, ETCDCTL_API: "3" },
    });
    expect(checked.exitCode, checked.stderr.toString()).toBe(0);
    expect(JSON.parse(checked.stdout.toString()).totalKey).toBeGreaterThanOrEqual(0);

    // bootstrap once per cluster, on control planes only; the last voting member does not leave
    const again = await viaControlPlane(["-n", CP_IP, "bootstrap"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("etcd is already bootstrapped on this node");
    const onWorker = await viaControlPlane(["-n", WORKER_IP, "bootstrap"]);
    expect(onWorker.code).toBe(1);
    expect(onWorker.stderr).toContain("this node is a worker: etcd runs on control planes");
    const leave = await viaControlPlane(["-n", CP_IP, "etcd", "leave"]);
    expect(leave.code).toBe(1);
    expect(leave.stderr).toContain(`${CP} is the cluster's last voting member`);
  },
);

/** etcdctl's view of a snapshot file. */
function snapshotStatus(file: string): { revision: number; totalKey: number } {
  const checked = Bun.spawnSync(["etcdctl", "snapshot", "status", file, "-w", "json"], {
    env: { ...process.env, ETCDCTL_API: "3" },
  });
  if (checked.exitCode !== 0) throw new Error(`etcdctl snapshot status ${file}: ${checked.stderr}`);
  return JSON.parse(checked.stdout.toString());
}

steps.test(
  "a control plane that lost its etcd data (a diskless reboot) is recovered from a snapshot with bootstrap --recover-from",
  [CREATE],
  async () => {
    // the snapshot: another etcd (on this host) holding 120 revisions of keys
    const source = await startTestEtcdCluster({ members: 1, tls: false });
    const file = join(dir, "recover.snapshot");
    try {
      const client = await source.connect();
      try {
        for (let i = 0; i < 120; i++) await client.put(`bronze/e2e/${i % 12}`, `value ${i}`);
        const writer = Bun.file(file).writer();
        for await (const piece of client.snapshot()) writer.write(piece);
        await writer.end();
      } finally {
        client.close();
      }
    } finally {
      await source.stop();
    }
    const saved = snapshotStatus(file);
    expect(saved.revision).toBeGreaterThanOrEqual(121);

    // a network-booted control plane keeps etcd in memory: after a reboot it waits for a bootstrap
    const reboot = await viaControlPlane(["-n", CP_IP, "--timeout", "15m", "reboot", "--wait"], 1_000_000);
    if (reboot.code !== 0) throw new Error(explain("reboot --wait of the control plane", reboot));
    const recover = expectOk(
      "bootstrap --recover-from",
      await viaControlPlane(["-n", CP_IP, "bootstrap", "--recover-from", file]),
    );
    expect(recover.stderr).toContain(`${CP_IP}: etcd recovered from ${file}`);
    expect(recover.stderr).toContain("recover-from: uploaded");

    // etcd starts on the snapshot's data: one member (this node), the snapshot's revisions
    await waitFor(
      async () => {
        const r = await viaControlPlane(["-n", CP_IP, "etcd", "status", "-o", "json"]);
        const [s] = r.code === 0 ? (JSON.parse(r.stdout) as { memberId?: string; state: string }[]) : [];
        return s?.memberId && s.memberId !== "0" ? s : undefined;
      },
      { what: "the recovered etcd to answer", timeoutMs: 300_000, intervalMs: 3000 },
    );
    const health = await osctl(["-e", running().endpoint, "--timeout", "5m", "-n", CP_IP, "health"], 400_000);
    if (health.code !== 0) throw new Error(explain("health after the recovery", health));
    const status = expectOk(
      "etcd status",
      await viaControlPlane(["-n", CP_IP, "etcd", "status", "-o", "json"]),
    );
    expect((JSON.parse(status.stdout) as { state: string }[])[0]?.state).toContain(
      "bootstrapped from a snapshot",
    );
    const members = expectOk(
      "etcd members",
      await viaControlPlane(["-n", CP_IP, "etcd", "members", "-o", "json"]),
    );
    expect(
      (JSON.parse(members.stdout) as { members: { hostname: string }[] }[])[0]?.members.map(
        (m) => m.hostname,
      ),
    ).toEqual([CP]);
    const after = join(dir, "recovered.snapshot");
    expectOk("etcd snapshot", await viaControlPlane(["-n", CP_IP, "etcd", "snapshot", after]));
    const recovered = snapshotStatus(after);
    expect(recovered.revision).toBeGreaterThanOrEqual(saved.revision);
    expect(recovered.totalKey).toBeGreaterThanOrEqual(saved.totalKey);
  },
  1_500_000,
);

steps.test("a reader-role client config reads but cannot reboot", [CREATE], async () => {
  const readerConfig = join(dir, "reader-osconfig");
  const created = expectOk(
    "config new",
    await viaControlPlane(["-n", CP_IP, "config", "new", readerConfig, "--roles", "os:reader"]),
  );
  expect(created.stdout).toContain("role os:reader");
  const reader = parse(readFileSync(readerConfig, "utf8"));
  const context = reader.contexts[reader.context];
  expect(inspectCertificate(decodePemBase64(context.crt)).organizations).toEqual(["os:reader"]);

  const version = expectOk(
    "reader version",
    await viaControlPlane(["-n", `${CP_IP},${WORKER_IP}`, "version"], 120_000, readerConfig),
  );
  expect(version.stdout).toContain(`NODE:        ${WORKER_IP}`);

  const reboot = await viaControlPlane(["-n", WORKER_IP, "reboot"], 120_000, readerConfig);
  expect(reboot.code).toBe(1);
  expect(reboot.stderr).toContain(
    `${WORKER_IP}: permission denied: os:reader may not call /bronze.machine.v1.MachineService/Reboot`,
  );
  // Nothing happened: the worker was not rebooted (one boot sequence in its serial log).
  const boots = readFileSync(running().worker.serialLog, "utf8").match(/\[boot\] sequence started/g);
  expect(boots?.length).toBe(1);
});

steps.test(
  REBOOT,
  [CREATE],
  async () => {
    const reboot = await viaControlPlane(
      ["-n", WORKER_IP, "--timeout", "15m", "reboot", "--wait"],
      1_000_000,
    );
    if (reboot.code !== 0) throw new Error(explain("reboot --wait", reboot));
    expect(`${reboot.stdout}${reboot.stderr}`).toContain(`${WORKER_IP}: reboot requested`);
    const serial = readFileSync(running().worker.serialLog, "utf8");
    expect(serial).toContain("[reboot] reboot: reboot(restart)");
    expect(serial.match(/\[boot\] sequence started/g)?.length).toBe(2);
    // The same QEMU process: the guest restarted, not the emulator.
    expect(qemuProcesses()).toContain(running().worker.pid);
    const version = expectOk("version after reboot", await viaControlPlane(["-n", WORKER_IP, "version"]));
    expect(version.stdout).toContain(`NODE:        ${WORKER_IP}`);
  },
  1_100_000,
);

steps.test(
  SHUTDOWN,
  [CREATE, REBOOT],
  async () => {
    const { worker, cp } = running();
    const shutdown = expectOk("shutdown", await viaControlPlane(["-n", WORKER_IP, "shutdown"]));
    expect(`${shutdown.stdout}${shutdown.stderr}`).toContain(`${WORKER_IP}: shutdown requested`);
    await waitFor(async () => (qemuProcesses().includes(worker.pid) ? undefined : true), {
      what: `${WORKER}'s QEMU process (pid ${worker.pid}) to exit`,
      timeoutMs: 300_000,
      intervalMs: 2000,
    });
    expect(readFileSync(worker.serialLog, "utf8")).toContain("reboot: Power down");
    expect(qemuProcesses()).toEqual([cp.pid]);
  },
  400_000,
);

steps.test(
  "cluster show lists the worker stopped and the control plane alive; destroy leaves nothing",
  [CREATE, SHUTDOWN],
  async () => {
    const show = expectOk("cluster show", await osctl(["cluster", "show", "--name", NAME, "-o", "json"]));
    const shown = JSON.parse(show.stdout);
    expect(
      shown.nodes.map((n: { name: string; role: string; alive: boolean }) => [n.name, n.role, n.alive]),
    ).toEqual([
      [CP, "controlplane", true],
      [WORKER, "worker", false],
    ]);
    expect(shown.server.alive).toBe(true);

    expectOk("cluster destroy", await osctl(["cluster", "destroy", "--name", NAME]));
    expect(qemuProcesses()).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
    expect(parse(readFileSync(osconfig, "utf8")).contexts[NAME]).toBeUndefined();
    const again = await osctl(["cluster", "show", "--name", NAME]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no cluster "${NAME}"`);
  },
);
