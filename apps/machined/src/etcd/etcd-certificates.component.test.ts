// etcd's certificates checked the two ways that matter: openssl verifies them against the etcd CA with
// the purposes etcd needs, and a real etcd (Debian's, on loopback) serves and peers with them, accepting
// machined's client certificate and refusing a client without one or with one from another CA.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSecretsBundle, inspectCertificate, issueCertificate } from "@bronze/pki";
import { eventually } from "@bronze/testing";
import { type EtcdCertificates, etcdTlsArgs, issueEtcdCertificates } from "./etcd-certificates.ts";

let dir: string;
let certs: EtcdCertificates;
let etcd: ChildProcess | undefined;
let clientPort: number;
let etcdLog = "";

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function write(name: string, data: string): string {
  const path = join(dir, name);
  writeFileSync(path, data, { mode: 0o600 });
  return path;
}

function etcdctl(args: string[], tls: { cert?: string; key?: string; ca?: string }, timeout = "5s") {
  return spawnSync(
    "etcdctl",
    [
      `--endpoints=https://127.0.0.1:${clientPort}`,
      "--dial-timeout=2s",
      `--command-timeout=${timeout}`,
      ...(tls.ca !== undefined ? [`--cacert=${tls.ca}`] : []),
      ...(tls.cert !== undefined ? [`--cert=${tls.cert}`, `--key=${tls.key}`] : []),
      ...args,
    ],
    { encoding: "utf8", env: { ...process.env, ETCDCTL_API: "3" }, timeout: 20_000 },
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "bronze-etcd-certs-"));
  const bundle = await generateSecretsBundle();
  certs = await issueEtcdCertificates({
    ca: bundle.certs.etcd,
    identity: { hostname: "cp-1", addresses: ["127.0.0.1"], certSANs: [] },
  });
  const pki = join(dir, "pki");
  const { mkdirSync } = await import("node:fs");
  mkdirSync(pki, { mode: 0o700 });
  for (const f of certs.etcd) writeFileSync(join(pki, f.name), f.data, { mode: f.mode });
  clientPort = await freePort();
  const peerPort = await freePort();
  etcd = spawn(
    "etcd",
    [
      "--name=cp-1",
      `--data-dir=${join(dir, "data")}`,
      `--listen-client-urls=https://127.0.0.1:${clientPort}`,
      `--advertise-client-urls=https://127.0.0.1:${clientPort}`,
      `--listen-peer-urls=https://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=https://127.0.0.1:${peerPort}`,
      `--initial-cluster=cp-1=https://127.0.0.1:${peerPort}`,
      "--initial-cluster-state=new",
      ...etcdTlsArgs(pki),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  etcd.stderr?.on("data", (chunk: Buffer) => {
    etcdLog += chunk.toString();
  });
});

afterAll(() => {
  etcd?.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const file = (name: string) => {
  const found = certs.etcd.find((f) => f.name === name);
  if (found === undefined) throw new Error(`no ${name}`);
  return found;
};

test("the files, their modes, names and purposes; openssl verifies each against the etcd CA", () => {
  expect(certs.etcd.map((f) => `${f.name} ${f.mode.toString(8)}`)).toEqual([
    "ca.crt 644",
    "server.crt 644",
    "server.key 600",
    "peer.crt 644",
    "peer.key 600",
  ]);
  const ca = write("ca.pem", certs.client.ca);
  for (const [name, purposes] of [
    ["server.crt", ["sslserver", "sslclient"]],
    ["peer.crt", ["sslserver", "sslclient"]],
  ] as const) {
    const info = inspectCertificate(file(name).data);
    expect(info.commonName).toBe("cp-1");
    expect(info.dnsNames.sort()).toEqual(["cp-1", "localhost"]);
    expect(info.ipAddresses.sort()).toEqual(["127.0.0.1", "::1"]);
    const path = write(name, file(name).data);
    for (const purpose of purposes) {
      const run = spawnSync("openssl", ["verify", "-CAfile", ca, "-purpose", purpose, path], {
        encoding: "utf8",
      });
      expect(`${purpose}: ${run.stdout.trim()}`).toBe(`${purpose}: ${path}: OK`);
    }
  }
  const client = write("client.crt", certs.client.crt);
  const run = spawnSync("openssl", ["verify", "-CAfile", ca, "-purpose", "sslclient", client], {
    encoding: "utf8",
  });
  expect(run.stdout.trim()).toBe(`${client}: OK`);
  const server = spawnSync("openssl", ["verify", "-CAfile", ca, "-purpose", "sslserver", client], {
    encoding: "utf8",
  });
  expect(server.status).not.toBe(0);
  expect(inspectCertificate(certs.client.crt).commonName).toBe("machined@cp-1");
});

test("a real etcd serves with them: machined's client certificate is accepted, no or a foreign certificate refused", async () => {
  const tls = {
    ca: write("ca.pem", certs.client.ca),
    cert: write("c.crt", certs.client.crt),
    key: write("c.key", certs.client.key),
  };
  let last = "";
  await eventually(
    "etcd healthy with machined's client certificate",
    () => {
      const health = etcdctl(["endpoint", "health"], tls);
      last = `${health.stderr}\netcd: ${etcdLog.slice(-2000)}`;
      return health.status === 0;
    },
    30_000,
    250,
  ).catch((err) => {
    throw new Error(`${(err as Error).message}\n${last}`);
  });
  expect(etcdctl(["put", "bronze", "etcd-certificates"], tls).status).toBe(0);
  expect(etcdctl(["get", "bronze", "--print-value-only"], tls).stdout.trim()).toBe("etcd-certificates");

  const anonymous = etcdctl(["get", "bronze"], { ca: tls.ca }, "1s");
  expect(anonymous.status).not.toBe(0);
  const other = await generateSecretsBundle();
  const foreign = await issueCertificate({ ca: other.certs.etcd, commonName: "intruder", usage: "client" });
  const refused = etcdctl(
    ["get", "bronze"],
    {
      ca: tls.ca,
      cert: write("f.crt", foreign.crt),
      key: write("f.key", foreign.key),
    },
    "1s",
  );
  expect(refused.status).not.toBe(0);
  expect(`${refused.stdout}${refused.stderr}`).not.toContain("etcd-certificates");
});
