// apid and trustd for real: machined in container mode with a control-plane config, a real containerd,
// apid and trustd in containers from a freshly compiled multi-call binary; an os:admin client calls
// Version over mTLS on apid's port, a joining node asks trustd for a certificate with the token.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { ApplyMode, BRONZE_VERSION, MachineService, SecurityService } from "@bronze/api";
import {
  createCSR,
  decodePemBase64,
  generateKeyPair,
  inspectCertificate,
  issueClientCertificate,
} from "@bronze/pki";
import { eventually, freePort, readLines, waitFor } from "@bronze/testing";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { parseAllDocuments } from "yaml";
import { testNodeBinary } from "../testing/node-binary-fixture.ts";
import { killSandbox, sandboxProcesses } from "../testing/sandbox-processes.ts";
import { MAINTENANCE_FINGERPRINT_LINE } from "./apid.ts";
import { sandboxNamespace } from "./system-containers.ts";

const MAIN = join(import.meta.dir, "../main.ts");
const CONTROLPLANE = join(import.meta.dir, "../../../../libs/config-schema/testdata/controlplane.yaml");

let dir: string;
let binary: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "bronze-apid-svc-"));
  binary = testNodeBinary();
});

afterAll(() => {
  // A failed test leaves machined, containerd, the shims and the containers' processes (by cgroup).
  for (const root of [join(dir, "root"), join(dir, "maintenance-root")]) killSandbox(root);
  rmSync(dir, { recursive: true, force: true });
});

test("a control plane runs apid and trustd in containers; Version over mTLS; shutdown leaves nothing", async () => {
  const config = parseAllDocuments(readFileSync(CONTROLPLANE, "utf8"))[0]?.toJS();
  const ca = { crt: decodePemBase64(config.machine.ca.crt), key: decodePemBase64(config.machine.ca.key) };
  const token: string = config.machine.token;
  const root = join(dir, "root");
  const [apidPort, trustdPort] = [await freePort(), await freePort()];
  const proc = Bun.spawn(
    [
      "bun",
      MAIN,
      "--platform",
      "container",
      "--root",
      root,
      "--config",
      CONTROLPLANE,
      "--node-binary",
      binary,
      "--apid-port",
      String(apidPort),
      "--trustd-port",
      String(trustdPort),
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const out = readLines(proc.stdout);
  const admin = await issueClientCertificate(ca, { role: "os:admin" });
  const baseUrl = `https://127.0.0.1:${apidPort}`;
  const sessions = new Http2SessionManager(baseUrl, undefined, {
    ca: ca.crt,
    cert: admin.crt,
    key: admin.key,
  });
  const api = createClient(MachineService, createGrpcTransport({ baseUrl, sessionManager: sessions }));
  try {
    // apid answers over mTLS once it is up (the supervisor's view is checked through it).
    const services = await waitFor(
      async () => {
        const list = (await api.serviceList({})).services;
        const state = (id: string) => list.find((s) => s.id === id);
        return state("apid")?.state === "Running" && state("trustd")?.state === "Running" ? list : undefined;
      },
      { what: "apid and trustd Running", timeoutMs: 40_000, intervalMs: 200 },
    );
    expect(services.map((s) => [s.id, s.runner])).toEqual([
      ["machined", "in-process"],
      ["containerd", "process"],
      ["pki", "in-process"],
      ["apid", "containerd"],
      ["trustd", "containerd"],
    ]);
    const version = await api.version({});
    expect(version.version?.tag).toBe(BRONZE_VERSION);
    expect(version.platform).toBe("container");
    expect(version.maintenance).toBe(false);
    // Their health checks make real requests over TLS (apid's with the impersonator certificate).
    await eventually(
      "apid and trustd healthy",
      async () => {
        const list = (await api.serviceList({})).services;
        const ok = (id: string) => list.find((s) => s.id === id)?.health?.healthy === true;
        return ok("apid") && ok("trustd");
      },
      20_000,
    );

    // apid's certificate: the node's, signed by the OS CA, naming the loopback address and certSANs.
    const served = inspectCertificate(readFileSync(join(root, "system/secrets/apid/server.crt"), "utf8"));
    expect(served.ipAddresses).toContain("127.0.0.1");
    expect(served.ipAddresses).toContain("10.0.0.10");
    expect(served.dnsNames).toContain("cp.bronze.example");
    expect(statSync(join(root, "system/secrets/apid/server.key")).uid).toBe(50);

    // The containers, as the machine API lists them ("system" is the sandbox's namespace).
    const containers = (await api.containers({ namespace: "system" })).containers;
    expect(containers.map((c) => [c.id, c.status]).sort()).toEqual([
      ["apid", "RUNNING"],
      ["trustd", "RUNNING"],
    ]);
    // They run as their own uids, with no capabilities.
    for (const c of containers) {
      const status = readFileSync(`/proc/${c.pid}/status`, "utf8");
      expect(status).toMatch(c.id === "apid" ? /^Uid:\s+50\s/m : /^Uid:\s+51\s/m);
      expect(status).toMatch(/^CapEff:\s+0+$/m);
    }

    // trustd signs a joining node's CSR when it presents the token.
    const trustdUrl = `https://127.0.0.1:${trustdPort}`;
    const trustdSessions = new Http2SessionManager(trustdUrl, undefined, { ca: ca.crt });
    const security = createClient(
      SecurityService,
      createGrpcTransport({ baseUrl: trustdUrl, sessionManager: trustdSessions }),
    );
    const keys = await generateKeyPair();
    const csr = await createCSR({
      privateKeyPem: keys.privateKeyPem,
      commonName: "worker-9",
      ipAddresses: ["127.0.0.1"],
    });
    const signed = await security.certificate(
      { csr: new TextEncoder().encode(csr) },
      { headers: { "x-bronze-token": token } },
    );
    // The CSR's subject (worker-9) is ignored: the certificate names the address that asked (review H3).
    expect(inspectCertificate(new TextDecoder().decode(signed.crt)).commonName).toBe("127.0.0.1");
    trustdSessions.abort();

    // A config applied without a reboot with another certSAN: the certificate is re-issued and served
    // by the same apid (it reloads its files).
    const text = readFileSync(CONTROLPLANE, "utf8").replace(
      "    - cp.bronze.example\n",
      "    - cp.bronze.example\n    - new.bronze.example\n",
    );
    expect(text).toContain("new.bronze.example");
    const apidPid = containers.find((c) => c.id === "apid")?.pid;
    await api.applyConfiguration({ data: new TextEncoder().encode(text), mode: ApplyMode.NO_REBOOT });
    await waitFor(
      () =>
        new Promise<true | undefined>((resolve, reject) => {
          const socket = tlsConnect(
            {
              host: "127.0.0.1",
              port: apidPort,
              ca: ca.crt,
              cert: admin.crt,
              key: admin.key,
              servername: "localhost",
            },
            () => {
              const names = socket.getPeerCertificate().subjectaltname ?? "";
              socket.destroy();
              resolve(names.includes("DNS:new.bronze.example") ? true : undefined);
            },
          );
          socket.once("error", reject);
        }),
      { what: "the re-issued certificate served", timeoutMs: 20_000, intervalMs: 200 },
    );
    expect((await api.containers({ namespace: "system" })).containers.find((c) => c.id === "apid")?.pid).toBe(
      apidPid,
    );

    const containerPids = containers.map((c) => c.pid);
    await api.shutdown({});
    expect(await proc.exited).toBe(0);
    await out.done;
    expect(out.all.some((l) => l.includes("[shutdown] stopAllServices: stopped 5 service(s)"))).toBe(true);
    for (const pid of containerPids) expect(() => process.kill(pid, 0)).toThrow();
    expect(sandboxProcesses(root)).toEqual([]);
    // runc's state and the cgroups of the sandbox's namespace are gone too.
    const namespace = sandboxNamespace(root);
    expect(existsSync(join("/run/containerd/runc", namespace))).toBe(false);
    expect(existsSync(join("/sys/fs/cgroup/memory", namespace))).toBe(false);
  } finally {
    sessions.abort();
    proc.kill("SIGKILL");
  }
}, 90_000);

test("maintenance mode: apid serves without client certificates; an applied config restarts it with mTLS", async () => {
  const text = readFileSync(CONTROLPLANE, "utf8");
  const config = parseAllDocuments(text)[0]?.toJS();
  const ca = { crt: decodePemBase64(config.machine.ca.crt), key: decodePemBase64(config.machine.ca.key) };
  const root = join(dir, "maintenance-root");
  // trustd binds its port only after the config is applied, tens of seconds from now; the flag is
  // machined's, so the port is chosen here (freePort's come from below the ephemeral range, which no
  // outgoing connection takes meanwhile).
  const [apidPort, trustdPort] = [await freePort(), await freePort()];
  const proc = Bun.spawn(
    [
      "bun",
      MAIN,
      "--platform",
      "container",
      "--root",
      root,
      "--node-binary",
      binary,
      "--apid-port",
      String(apidPort),
      "--trustd-port",
      String(trustdPort),
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const out = readLines(proc.stdout);
  const baseUrl = `https://127.0.0.1:${apidPort}`;
  const insecureSessions = new Http2SessionManager(baseUrl, undefined, { rejectUnauthorized: false });
  const insecure = createClient(
    MachineService,
    createGrpcTransport({ baseUrl, sessionManager: insecureSessions }),
  );
  const admin = await issueClientCertificate(ca, { role: "os:admin" });
  const sessions = new Http2SessionManager(baseUrl, undefined, {
    ca: ca.crt,
    cert: admin.crt,
    key: admin.key,
  });
  const api = createClient(MachineService, createGrpcTransport({ baseUrl, sessionManager: sessions }));
  try {
    const version = await waitFor(() => insecure.version({}), {
      what: "apid in maintenance mode",
      timeoutMs: 40_000,
      intervalMs: 200,
    });
    expect(version.maintenance).toBe(true);
    // (ServiceList is not served in maintenance mode: machined's console says it)
    await eventually(
      "apid healthy in maintenance mode",
      async () => out.all.some((l) => l.endsWith("service apid: Running (Health check successful)")),
      20_000,
    );
    // machined's console shows the fingerprint of the certificate apid serves (docs/design.md §2).
    const served = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: "127.0.0.1", port: apidPort, rejectUnauthorized: false }, () => {
        resolve(socket.getPeerCertificate().fingerprint256.replaceAll(":", "").toLowerCase());
        socket.destroy();
      });
      socket.once("error", reject);
    });
    // The line reaches machined's console through apid's log file, which machined polls: it may come
    // after apid answers. Wait for it, then compare.
    const line = await out.waitFor(MAINTENANCE_FINGERPRINT_LINE, 20_000);
    expect(line).toEndWith(`machined: apid: maintenance mode, certificate fingerprint sha256:${served}`);
    const applied = await insecure.applyConfiguration({
      data: new TextEncoder().encode(text),
      mode: ApplyMode.NO_REBOOT,
    });
    expect(applied.modeDetails).toContain("without a reboot");
    insecureSessions.abort();
    // apid comes back with the node's certificate and asks for client certificates.
    const secure = await waitFor(
      async () => {
        const v = await api.version({});
        return v.maintenance ? undefined : v;
      },
      { what: "apid serving with the node's certificates", timeoutMs: 40_000, intervalMs: 200 },
    );
    expect(secure.version?.tag).toBe(BRONZE_VERSION);
    // Logged before apid stops, but read from machined's stdout at its own pace.
    await out.waitFor("config: stopping the maintenance apid", 10_000);
    await waitFor(
      async () =>
        (await api.serviceList({})).services.find((s) => s.id === "trustd")?.state === "Running"
          ? true
          : undefined,
      { what: "trustd Running", timeoutMs: 30_000, intervalMs: 200 },
    );
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    await out.done;
    expect(sandboxProcesses(root)).toEqual([]);
  } finally {
    insecureSessions.abort();
    sessions.abort();
    proc.kill("SIGKILL");
  }
}, 90_000);
