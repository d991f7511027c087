// Contract: the real osctl CLI (a subprocess, as users run it) → the real apid (startApid, mTLS on
// 127.0.0.1, its own role checks and forwarding) → machined's real machine API (startApiServer on a
// unix socket, its handlers and role table). Only machined's context is a fixture: a real Supervisor
// and ConfigStore in a temporary directory, a fake sequencer, clock and kernel log (no reboots). Two
// nodes, a control plane (whose apid forwards with its impersonator certificate) and a worker; a
// third node address answers nothing. No QEMU, no root, no containerd.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Apid, startApid } from "@bronze/apid/apid-server";
import { type ApiServer, startApiServer } from "@bronze/machined/api-server";
import { type Fixture, makeFixture } from "@bronze/machined/testing/api-fixture";
import { InProcessRunner } from "@bronze/machined/testing/in-process-runner";
import {
  type CertificateAndKey,
  encodePemBase64,
  generateCA,
  issueCertificate,
  issueClientCertificate,
} from "@bronze/pki";
import { freePort } from "@bronze/testing";
import { stringify } from "yaml";
import { runOsctl } from "../src/run-osctl.ts";

interface Node {
  name: string;
  fixture: Fixture;
  api: ApiServer;
  apid: Apid;
  address: string;
}

const dir = mkdtempSync(join(tmpdir(), "bronze-contract-"));
const nodes: Node[] = [];
let cp: Node;
let worker: Node;
/** A node address nothing listens on. */
let deadAddress = "";
let machineConfig = "";
const osconfigs = {
  admin: join(dir, "admin-osconfig"),
  reader: join(dir, "reader-osconfig"),
  /** An admin certificate of another cluster's CA, with this cluster's CA to check the server. */
  foreign: join(dir, "foreign-osconfig"),
};

/**
 * Every node's apid listens on the same port, as on a real cluster (apid forwards only to that port),
 * each on its own loopback address.
 */
let apidPort = 0;

async function startNode(
  name: string,
  host: string,
  pki: { ca: string; server: CertificateAndKey; impersonator?: CertificateAndKey },
): Promise<Node> {
  const fixture = makeFixture({ hostname: () => name, buildSha: `${name}-sha` });
  fixture.supervisor.register({
    id: "echo",
    dependsOn: [],
    restart: "forever",
    runner: new InProcessRunner(async ({ signal, log }) => {
      for (const line of ["echo: starting", `echo: serving on ${name}`, "echo: ready"])
        log.line("stdout", line);
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
    }),
  });
  fixture.supervisor.start("echo");
  await fixture.supervisor.waitFor("echo", (s) => s.state === "Running");
  fixture.store.save(machineConfig);
  const socketPath = join(fixture.dir, "run", "machine.sock");
  const api = await startApiServer({ socketPath, context: fixture.ctx, closeGraceMs: 500 });
  // apid's --pki-dir, as machined writes it.
  const pkiDir = join(dir, `pki-${name}`);
  mkdirSync(pkiDir);
  writeFileSync(join(pkiDir, "ca.crt"), pki.ca);
  writeFileSync(join(pkiDir, "server.crt"), pki.server.crt);
  writeFileSync(join(pkiDir, "server.key"), pki.server.key);
  if (pki.impersonator) {
    writeFileSync(join(pkiDir, "impersonator.crt"), pki.impersonator.crt);
    writeFileSync(join(pkiDir, "impersonator.key"), pki.impersonator.key);
  }
  const apid = await startApid({
    host,
    port: apidPort,
    apidPort,
    machinedSocket: socketPath,
    mode: { kind: "secure", pkiDir },
    closeGraceMs: 500,
  });
  const node = { name, fixture, api, apid, address: `${host}:${apid.port}` };
  nodes.push(node);
  return node;
}

function writeOsconfig(path: string, ca: string, client: CertificateAndKey) {
  writeFileSync(
    path,
    stringify({
      context: "contract",
      contexts: {
        contract: {
          endpoints: [cp.address],
          nodes: [],
          ca: encodePemBase64(ca),
          crt: encodePemBase64(client.crt),
          key: encodePemBase64(client.key),
        },
      },
    }),
  );
}

/** osctl as `role`, against the control plane's apid. */
const osctl = (role: keyof typeof osconfigs, ...args: string[]) =>
  runOsctl(["--osconfig", osconfigs[role], ...args], { cwd: dir });

beforeAll(async () => {
  // The machine config machined holds: the one `osctl gen config` writes for a control plane.
  const gen = await runOsctl(["gen", "config", "contract", "https://127.0.0.1:6443", "-o", join(dir, "gen")]);
  expect(gen.code).toBe(0);
  machineConfig = readFileSync(join(dir, "gen", "controlplane.yaml"), "utf8");

  const ca = await generateCA({ commonName: "contract os", organization: "bronze" });
  const server = await issueCertificate({
    ca,
    commonName: "node",
    usage: "server",
    ipAddresses: ["127.0.0.1", "127.0.0.2"],
    dnsNames: ["localhost"],
  });
  const [impersonator, admin, reader] = await Promise.all(
    (["os:impersonator", "os:admin", "os:reader"] as const).map((role) =>
      issueClientCertificate(ca, { role }),
    ),
  );
  apidPort = await freePort();
  cp = await startNode("cp", "127.0.0.1", { ca: ca.crt, server, impersonator });
  worker = await startNode("worker", "127.0.0.2", { ca: ca.crt, server });
  deadAddress = `127.0.0.3:${apidPort}`;
  writeOsconfig(osconfigs.admin, ca.crt, admin as CertificateAndKey);
  writeOsconfig(osconfigs.reader, ca.crt, reader as CertificateAndKey);
  const otherCa = await generateCA({ commonName: "other os", organization: "other-cluster" });
  writeOsconfig(osconfigs.foreign, ca.crt, await issueClientCertificate(otherCa, { role: "os:admin" }));
}, 60_000);

afterAll(async () => {
  for (const node of nodes) {
    await node.apid.close();
    await node.api.close();
    await node.fixture.cleanup();
  }
  rmSync(dir, { recursive: true, force: true });
});

test("version: the node's own machined answers (its build, its platform), as a reader", async () => {
  const res = await osctl("reader", "version", "-o", "json");
  expect(res.stderr).toBe("");
  expect(res.code).toBe(0);
  const [node] = JSON.parse(res.stdout).nodes;
  expect(node.node).toBe(cp.address);
  expect(node.version.sha).toBe("cp-sha");
  expect(node.platform).toBe("container");
  const table = await osctl("reader", "version");
  expect(table.stdout).toContain("\tSHA:         cp-sha\n\tRuntime:     bun ");
});

test("services: machined's supervisor's services with their state", async () => {
  const res = await osctl("reader", "services");
  expect(res.code).toBe(0);
  expect(res.stdout).toMatch(/^SERVICE\s+STATE\s+HEALTH\s+SINCE\s+MESSAGE\n/);
  expect(res.stdout).toMatch(/\necho\s+Running\s/);
});

test("logs: the service's lines from machined's log buffer, whole and in order; --tail", async () => {
  const all = await osctl("reader", "logs", "echo");
  expect(all.code).toBe(0);
  expect(all.stdout).toBe("echo: starting\necho: serving on cp\necho: ready\n");
  const last = await osctl("reader", "logs", "echo", "--tail", "1");
  expect(last.stdout).toBe("echo: ready\n");
  const missing = await osctl("reader", "logs", "nope");
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain("nope");
});

test("the real role table: a reader may not Read files nor apply a config; its config comes redacted", async () => {
  const read = await osctl("reader", "read", "/etc/hosts");
  expect(read.code).toBe(1);
  expect(read.stderr).toBe(
    `error: ${cp.address}: permission denied: os:reader may not call /bronze.machine.v1.MachineService/Read\n`,
  );
  const apply = await osctl("reader", "apply-config", "-f", join(dir, "gen", "worker.yaml"), "--dry-run");
  expect(apply.code).toBe(1);
  expect(apply.stderr).toBe(
    `error: ${cp.address}: permission denied: os:reader may not call /bronze.machine.v1.MachineService/ApplyConfiguration\n`,
  );
  expect(cp.fixture.state.config).toBeUndefined();
  // GetConfiguration is open to readers: machined redacts every secret for them.
  const config = await osctl("reader", "get", "config");
  expect(config.code).toBe(0);
  expect(config.stdout).toContain("clusterName: contract");
  const caKey = /^ {4}key: (\S+)$/m.exec(machineConfig)?.[1];
  expect(caKey?.length).toBeGreaterThan(40);
  expect(config.stdout).not.toContain(caKey as string);
  expect(config.stdout).toContain(`    key: "******"\n`);
});

test("apply-config --dry-run: machined validates and diffs against the config it holds; nothing changes", async () => {
  const changed = machineConfig.replace(/disk: \S+/, "disk: /dev/vdb");
  expect(changed).not.toBe(machineConfig);
  const file = join(dir, "changed.yaml");
  writeFileSync(file, changed);
  const res = await osctl("admin", "apply-config", "-f", file, "--dry-run");
  expect(res.code).toBe(0);
  // machined's own validation, for its platform, reaches the user as a warning.
  expect(res.stderr).toContain("machine.install is ignored in container mode");
  expect(res.stdout).toMatch(/^-\s+disk: \/dev\/sda$/m);
  expect(res.stdout).toMatch(/^\+\s+disk: \/dev\/vdb$/m);
  expect(cp.fixture.store.current()).toBe(machineConfig);
  expect(cp.fixture.state.config).toBeUndefined();
  expect(cp.fixture.hostnames).toEqual([]);
  expect(cp.fixture.sequencer.calls).toEqual([]);

  const invalid = join(dir, "invalid.yaml");
  writeFileSync(invalid, machineConfig.replace("type: controlplane", "type: 7"));
  const refused = await osctl("admin", "apply-config", "-f", invalid, "--dry-run");
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain("machine.type");
});

/** apid's one answer for a node it cannot reach, whatever the reason (no port-scan oracle). */
const unreachable = (address: string) =>
  `cannot reach node ${address}: no apid of this cluster answered there (apid's log has the details)`;

test("-n fan-out through the control plane's apid: each node's own answer, the dead one's error", async () => {
  const res = await osctl(
    "reader",
    "-n",
    [cp.address, worker.address, deadAddress].join(","),
    "version",
    "-o",
    "json",
  );
  expect(res.code).toBe(1);
  // One entry per node, in the order asked: the answers of each node's own machined, and the error
  // apid met forwarding to the dead one.
  const entries: { node: string; version?: { sha: string }; error?: string }[] = JSON.parse(res.stdout).nodes;
  expect(entries.map((n) => [n.node, n.version?.sha ?? n.error])).toEqual([
    [cp.address, "cp-sha"],
    [worker.address, "worker-sha"],
    [deadAddress, `unavailable: ${unreachable(deadAddress)}`],
  ]);
  expect(res.stderr).toBe(`error: ${deadAddress}: unavailable: ${unreachable(deadAddress)}\n`);
  const logs = await osctl("reader", "-n", [worker.address, deadAddress].join(","), "logs", "echo");
  expect(logs.code).toBe(1);
  expect(logs.stdout).toContain(`${worker.address}: echo: serving on worker\n`);
  expect(logs.stderr).toContain(deadAddress);
});

test("a client certificate of another CA: the real apid refuses the handshake, and osctl says why", async () => {
  const res = await osctl("foreign", "version");
  expect(res.code).toBe(1);
  expect(res.stderr).toContain(`TLS handshake with ${cp.address} failed`);
  expect(res.stderr).toContain("rejected the client certificate");
  expect(res.stderr).toContain("not signed by the context's CA (its issuer is O=other-cluster, CN=other os)");
});
