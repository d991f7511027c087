// Two nodes on one host, in container mode: a control plane and a worker whose apid certificate comes
// from the control plane's trustd (the token in a header). An os:admin client reaches the worker
// directly, and through the control plane's apid (x-bronze-node: apid forwards with its impersonator).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MachineService, NODE_HEADER } from "@bronze/api";
import { decodePemBase64, inspectCertificate, issueClientCertificate } from "@bronze/pki";
import { freePort, waitFor } from "@bronze/testing";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { parseAllDocuments } from "yaml";
import { testNodeBinary } from "../testing/node-binary-fixture.ts";
import { killSandbox } from "../testing/sandbox-processes.ts";

const MAIN = join(import.meta.dir, "../main.ts");
const TESTDATA = join(import.meta.dir, "../../../../libs/config-schema/testdata");

let dir: string;
let binary: string;
const roots: string[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "bronze-join-"));
  binary = testNodeBinary();
});

afterAll(() => {
  for (const root of roots) killSandbox(root);
  rmSync(dir, { recursive: true, force: true });
});

function startNode(name: string, config: string, ports: string[]) {
  const root = join(dir, name);
  roots.push(root);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, config);
  const proc = Bun.spawn(
    [
      "bun",
      MAIN,
      "--platform",
      "container",
      "--root",
      root,
      "--config",
      file,
      "--node-binary",
      binary,
      ...ports,
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
  return { root, proc };
}

test("a worker joins through trustd and is reached directly and through the control plane's apid", async () => {
  const controlplane = readFileSync(join(TESTDATA, "controlplane.yaml"), "utf8");
  // The worker asks trustd at the control-plane endpoint's host: this host.
  const worker = readFileSync(join(TESTDATA, "worker.yaml"), "utf8").replace(
    "endpoint: https://10.0.0.10:6443",
    "endpoint: https://127.0.0.1:6443",
  );
  const machine = parseAllDocuments(controlplane)[0]?.toJS().machine;
  const ca = { crt: decodePemBase64(machine.ca.crt), key: decodePemBase64(machine.ca.key) };
  const [cpApid, trustd, workerApid] = [await freePort(), await freePort(), await freePort()];
  // Two nodes on one host cannot share apid's port: the control plane's apid is told where the
  // worker's listens (apid forwards only to the cluster's apid port).
  const cp = startNode("cp", controlplane, [
    ...["--apid-port", String(cpApid), "--apid-node-port", String(workerApid)],
    ...["--trustd-port", String(trustd)],
  ]);
  const wk = startNode("worker", worker, [
    "--apid-port",
    String(workerApid),
    "--trustd-port",
    String(trustd),
  ]);

  const admin = await issueClientCertificate(ca, { role: "os:admin" });
  const client = (port: number) => {
    const baseUrl = `https://127.0.0.1:${port}`;
    const sessions = new Http2SessionManager(baseUrl, undefined, {
      ca: ca.crt,
      cert: admin.crt,
      key: admin.key,
    });
    return {
      sessions,
      api: createClient(MachineService, createGrpcTransport({ baseUrl, sessionManager: sessions })),
    };
  };
  const toCp = client(cpApid);
  const toWorker = client(workerApid);
  try {
    // The worker's apid serves the certificate trustd signed: CN its hostname, its address as trustd
    // saw it (here loopback) and the loopback names.
    const direct = await waitFor(() => toWorker.api.hostname({}), {
      what: "the worker's apid",
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    expect(direct.hostname).toBe("worker-1");
    const served = inspectCertificate(readFileSync(join(wk.root, "system/secrets/apid/server.crt"), "utf8"));
    // trustd names a certificate after the address that asked for it, never after the CSR (review H3).
    expect(served.commonName).toBe("127.0.0.1");
    expect(served.ipAddresses).toEqual(["127.0.0.1", "::1"]);
    expect(served.dnsNames).toEqual(["localhost"]);
    expect(served.extendedKeyUsages).toEqual(["serverAuth"]);
    // A worker has no impersonator certificate and no trustd.
    expect(readdirSync(join(wk.root, "system/secrets/apid")).sort()).toEqual([
      "ca.crt",
      "server.crt",
      "server.key",
    ]);
    const workerServices = (await toWorker.api.serviceList({})).services.map((s) => s.id);
    expect(workerServices).toEqual(["machined", "containerd", "pki", "apid"]);

    // Through the control plane: its apid forwards to the worker's with the impersonator certificate.
    const forwarded = await waitFor(
      () => toCp.api.hostname({}, { headers: { [NODE_HEADER]: `127.0.0.1:${workerApid}` } }),
      { what: "a call forwarded by the control plane", timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(forwarded.hostname).toBe("worker-1");
    expect((await toCp.api.hostname({})).hostname).toBe("cp-1");

    await toWorker.api.shutdown({});
    await toCp.api.shutdown({});
    expect(await wk.proc.exited).toBe(0);
    expect(await cp.proc.exited).toBe(0);
  } finally {
    toCp.sessions.abort();
    toWorker.sessions.abort();
    cp.proc.kill("SIGKILL");
    wk.proc.kill("SIGKILL");
  }
}, 120_000);
