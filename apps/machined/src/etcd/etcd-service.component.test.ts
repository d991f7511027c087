// The etcd service for real: Debian's /usr/bin/etcd in a system container under a real containerd (the
// test harness's own, in its own namespace), as uid 60 without capabilities, with certificates issued
// from a generated etcd CA. It founds a one-member cluster, its health check passes, machined's client
// certificate reads and writes a key through etcdctl, and it restarts on its data. Needs root, containerd,
// runc and etcd (scripts/setup.sh). Uses the host's ports 2379-2381 (host network, as on a node).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerdClient } from "@bronze/containerd-client";
import { startTestContainerd, type TestContainerd } from "@bronze/containerd-client/testing";
import { generateSecretsBundle } from "@bronze/pki";
import { eventually } from "@bronze/testing";
import { writeSecretFiles } from "../certificates/secret-files.ts";
import { nodePaths } from "../node/node-paths.ts";
import { secretsDir } from "../services/system-containers.ts";
import type { RunHandle } from "../supervisor/service.ts";
import { type EtcdCertificates, issueEtcdCertificates } from "./etcd-certificates.ts";
import { ETCD_CLIENT_PORT, type EtcdStart, etcdPeerUrl, etcdService } from "./etcd-service.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-etcd-svc-"));
const paths = nodePaths(join(dir, "node"));
const dataDir = join(dir, "var-lib-etcd");
let containerd: TestContainerd;
let client: ContainerdClient;
let certs: EtcdCertificates;
const handles: RunHandle[] = [];
const lines: string[] = [];
const log = { line: (_stream: string, text: string) => void lines.push(text) };

beforeAll(async () => {
  containerd = await startTestContainerd();
  client = await containerd.connect();
  const bundle = await generateSecretsBundle();
  certs = await issueEtcdCertificates({
    ca: bundle.certs.etcd,
    identity: { hostname: "cp-1", addresses: ["127.0.0.1"], certSANs: [] },
  });
  await writeSecretFiles(secretsDir(paths, "etcd"), certs.etcd, { uid: 60, gid: 60 });
  for (const [name, data] of [
    ["client.crt", certs.client.crt],
    ["client.key", certs.client.key],
    ["ca.crt", certs.client.ca],
  ] as const)
    writeFileSync(join(dir, name), data, { mode: 0o600 });
});

afterAll(async () => {
  for (const h of handles) await h.stop(1000).catch(() => {});
  client?.close();
  await containerd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function service(start: EtcdStart) {
  return etcdService({
    paths,
    client: async () => client,
    nodeBinary: undefined,
    dataDir,
    pkiService: "etcd-pki",
    member: () => ({ name: "cp-1", advertiseAddress: "127.0.0.1", start }),
  });
}

const etcdctl = (...args: string[]) =>
  spawnSync(
    "etcdctl",
    [
      `--endpoints=https://127.0.0.1:${ETCD_CLIENT_PORT}`,
      `--cacert=${join(dir, "ca.crt")}`,
      `--cert=${join(dir, "client.crt")}`,
      `--key=${join(dir, "client.key")}`,
      "--command-timeout=5s",
      ...args,
    ],
    { encoding: "utf8", env: { ...process.env, ETCDCTL_API: "3" }, timeout: 20_000 },
  );

async function healthy(def: ReturnType<typeof service>): Promise<void> {
  let last = "";
  await eventually(
    "etcd's health check passes",
    async () => {
      try {
        await def.healthCheck?.check(AbortSignal.timeout(3000), { attempt: 1 } as never);
        return true;
      } catch (err) {
        last = (err as Error).message;
        return false;
      }
    },
    60_000,
    250,
  ).catch((err) => {
    throw new Error(`${(err as Error).message}: ${last}\n${lines.slice(-30).join("\n")}`);
  });
}

test("founds a cluster as uid 60 in a container, serves machined's certificate, and restarts on its data", async () => {
  const founding = service({ state: "new", initialCluster: `cp-1=${etcdPeerUrl("127.0.0.1")}` });
  const first = await founding.runner.start({ id: "etcd", log });
  handles.push(first);
  await healthy(founding);
  expect(statSync(dataDir).uid).toBe(60);
  expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  expect(existsSync(join(dataDir, "member"))).toBe(true);
  const put = etcdctl("put", "bronze/test", "from-the-container");
  expect(`${put.status} ${put.stderr}`).toBe("0 ");
  const status = JSON.parse(etcdctl("endpoint", "status", "-w", "json").stdout) as Array<{
    Status: { version: string };
  }>;
  expect(status[0]?.Status.version).toMatch(/^3\.4\./);
  // the process runs as etcd's uid inside the container
  const uid = spawnSync("sh", ["-c", `awk '/^Uid:/{print $2}' /proc/${first.pid}/status`], {
    encoding: "utf8",
  });
  expect(uid.stdout.trim()).toBe("60");

  await first.stop(15_000);
  const restart = service({ state: "restart" });
  handles.push(await restart.runner.start({ id: "etcd", log }));
  await healthy(restart);
  expect(etcdctl("get", "bronze/test", "--print-value-only").stdout.trim()).toBe("from-the-container");
}, 120_000);
