import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { processesMentioning } from "@bronze/testing";
import { startTestEtcdCluster } from "./etcd-cluster.ts";

test("a plaintext member: etcdctl and the client see the same data; stop and start; stop() leaves nothing", async () => {
  const cluster = await startTestEtcdCluster({ members: 1, tls: false });
  try {
    expect(cluster.tls).toBeUndefined();
    expect(cluster.endpoints).toEqual([cluster.member("m0").clientUrl]);
    const put = await cluster.etcdctl(["put", "k", "v"]);
    expect(put).toMatchObject({ exitCode: 0, stdout: "OK\n" });
    expect(cluster.etcdctlSetup().env).toEqual({ ETCDCTL_API: "3" });
    const client = await cluster.connect();
    expect(await client.get("k")).toBe("v");
    client.close();
    await cluster.stopMember("m0");
    expect(cluster.member("m0").pid).toBeUndefined();
    expect(cluster.endpoints).toEqual([]);
    await cluster.startMember("m0");
    const again = await cluster.connect();
    expect(await again.get("k")).toBe("v");
    again.close();
  } finally {
    await cluster.stop();
  }
  expect(existsSync(cluster.dir)).toBe(false);
  expect(processesMentioning(cluster.dir)).toEqual([]);
}, 60_000);

test("with TLS, etcdctl is given the client's certificate files", async () => {
  const cluster = await startTestEtcdCluster({ members: 1, tls: true });
  try {
    const { flags } = cluster.etcdctlSetup();
    expect(flags).toContain(`--cacert=${cluster.clientFiles?.ca}`);
    expect(flags).toContain(`--cert=${cluster.clientFiles?.cert}`);
    expect(cluster.endpoints[0]).toStartWith("https://127.0.0.1:");
    const r = await cluster.etcdctl(["endpoint", "health"]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("is healthy");
  } finally {
    await cluster.stop();
  }
}, 60_000);

test("an etcd that cannot start fails the start with its output, and is cleaned up", async () => {
  const start = startTestEtcdCluster({ members: 1, tls: false, binary: "/bin/false", startTimeoutMs: 5_000 });
  await expect(start).rejects.toThrow(/etcd m0 exited \(1\)/);
}, 30_000);
