// One etcd member with TLS and client certificates: keys and values, refusals, failover, deadlines.
import { expect, test } from "bun:test";
import { freePort, freezeProcess } from "@bronze/testing";
import { etcdFailure, useTestCluster } from "../test/etcd-fixture.ts";
import { EtcdClient } from "./client.ts";
import type { EtcdError } from "./errors.ts";
import { testClientTls } from "./testing/index.ts";

const fixture = useTestCluster({ members: 1, tls: true });

test("put, get and delete, as text and as bytes; an absent key is undefined", async () => {
  const { cluster, client } = fixture;
  await client.put("bronze/a", "één");
  expect(await client.get("bronze/a")).toBe("één");
  expect(await client.getBytes("bronze/a")).toEqual(new TextEncoder().encode("één"));
  const key = new Uint8Array([0, 1, 2, 255]);
  const value = new Uint8Array([255, 0, 7]);
  await client.put(key, value);
  expect(await client.getBytes(key)).toEqual(value);
  expect(await client.delete(key)).toBe(true);
  expect(await client.delete(key)).toBe(false);
  expect(await client.get(key)).toBeUndefined();
  expect(await client.get("bronze/none")).toBeUndefined();
  // etcdctl sees what the client wrote
  const r = await cluster.etcdctl(["get", "bronze/a", "--print-value-only"]);
  expect(r.stdout.trim()).toBe("één");
  expect((await etcdFailure(client.put("", "x"))).code).toBe("InvalidArgument");
});

test("the endpoint's own status: member, leader (itself), version, sizes", async () => {
  const { cluster, client } = fixture;
  const s = await client.status(cluster.endpoints[0]);
  expect(s.endpoint).toBe(cluster.endpoints[0] as string);
  expect(s.leader).toBe(s.memberId);
  expect(s.version).toBe("3.4.23");
  expect(s.dbSize).toBeGreaterThan(0);
  expect(s.dbSizeInUse).toBeLessThanOrEqual(s.dbSize);
  expect(s.raftIndex).toBeGreaterThan(0);
  expect(s.isLearner).toBe(false);
  expect(s.errors).toEqual([]);
});

test("a client without a certificate is refused, naming the endpoint", async () => {
  const { cluster } = fixture;
  const tls = cluster.tls as { ca: string; cert: string; key: string };
  const endpoint = cluster.endpoints[0] as string;
  // No client certificate: etcd's TLS handshake requires one.
  const none = await etcdFailure(
    EtcdClient.connect({ endpoints: [endpoint], tls: { ...tls, cert: "", key: "" }, timeoutMs: 5_000 }),
  );
  expect(none.code).toBe("Unauthenticated");
  expect(none.message).toContain(
    `TLS with etcd at ${endpoint} failed: the member refused the client's certificate`,
  );
});

test("a certificate from another CA is refused; a member whose CA is not trusted is refused", async () => {
  const { cluster } = fixture;
  const tls = cluster.tls as { ca: string; cert: string; key: string };
  const endpoint = cluster.endpoints[0] as string;
  const other = await testClientTls("intruder");
  const refused = await etcdFailure(
    EtcdClient.connect({ endpoints: [endpoint], tls: { ...other, ca: tls.ca }, timeoutMs: 5_000 }),
  );
  expect(refused.code).toBe("Unauthenticated");
  expect(refused.detail).toContain("the member refused the client's certificate");
  const untrusted = await etcdFailure(
    EtcdClient.connect({ endpoints: [endpoint], tls: other, timeoutMs: 5_000 }),
  );
  expect(untrusted.code).toBe("Unauthenticated");
  expect(untrusted.detail).toContain("the client refused the member's certificate");
  // plaintext towards a TLS member: etcd drops the connection
  const plain = await etcdFailure(
    EtcdClient.connect({ endpoints: [endpoint.replace("https:", "http:")], timeoutMs: 3_000 }),
  );
  expect(plain.code).toBe("Unavailable");
});

test("a refused connection is Unavailable naming the endpoint; the next endpoint is used", async () => {
  const { cluster } = fixture;
  const dead = `https://127.0.0.1:${await freePort()}`;
  const e = await etcdFailure(EtcdClient.connect({ endpoints: [dead], tls: cluster.tls, timeoutMs: 5_000 }));
  expect(e.code).toBe("Unavailable");
  expect(e.message).toContain(`etcd is unavailable at ${dead}`);
  expect(e.message).toContain("ECONNREFUSED");
  const c = await EtcdClient.connect({
    endpoints: [dead, cluster.endpoints[0] as string],
    tls: cluster.tls,
    timeoutMs: 5_000,
  });
  try {
    expect(c.endpoint).toBe(cluster.endpoints[0] as string);
    await c.put("bronze/failover", "1");
    expect(await c.get("bronze/failover")).toBe("1");
    // a status of the dead endpoint itself is not answered by another
    expect((await etcdFailure(c.status(dead))).code).toBe("Unavailable");
  } finally {
    c.close();
  }
});

test("a call's deadline and signal; a closed client refuses calls", async () => {
  const { cluster, client } = fixture;
  const pid = cluster.member("m0").pid as number;
  let frozen: EtcdError;
  try {
    // SIGSTOP takes effect asynchronously: a call made at once could still be answered
    await freezeProcess(pid);
    frozen = await etcdFailure(client.get("bronze/a", { timeoutMs: 300 }));
  } finally {
    process.kill(pid, "SIGCONT");
  }
  expect(frozen.code).toBe("DeadlineExceeded");
  expect(frozen.message).toBe(
    `get "bronze/a": deadline exceeded: etcd at ${cluster.endpoints[0]} did not answer in time`,
  );
  expect(await client.get("bronze/a")).toBe("één");
  const controller = new AbortController();
  controller.abort();
  const aborted = await etcdFailure(client.get("bronze/a", { signal: controller.signal }));
  expect(aborted.code).toBe("Canceled");
  const c = await cluster.connect();
  c.close();
  const closed = await etcdFailure(c.get("bronze/a"));
  expect(closed.code).toBe("Canceled");
  expect(closed.message).toBe('get "bronze/a": the client is closed');
});
