import { expect, test } from "bun:test";
import { etcdArgs, etcdClientUrl, etcdHealthCheck, etcdPeerUrl, etcdService } from "./etcd-service.ts";

test("a founding member names the initial cluster and state new; a restart on its data names neither", () => {
  const founding = etcdArgs({
    name: "cp-1",
    advertiseAddress: "10.5.0.2",
    start: { state: "new", initialCluster: "cp-1=https://10.5.0.2:2380" },
  });
  expect(founding).toContain("--name=cp-1");
  expect(founding).toContain("--data-dir=/var/lib/etcd");
  expect(founding).toContain("--advertise-client-urls=https://10.5.0.2:2379");
  expect(founding).toContain("--initial-advertise-peer-urls=https://10.5.0.2:2380");
  expect(founding).toContain("--initial-cluster=cp-1=https://10.5.0.2:2380");
  expect(founding).toContain("--initial-cluster-state=new");
  expect(founding).toContain("--client-cert-auth=true");
  expect(founding).toContain("--peer-client-cert-auth=true");
  expect(founding).toContain("--listen-metrics-urls=http://127.0.0.1:2381");
  const joining = etcdArgs({
    name: "cp-2",
    advertiseAddress: "10.5.0.3",
    start: { state: "existing", initialCluster: "cp-1=https://10.5.0.2:2380,cp-2=https://10.5.0.3:2380" },
  });
  expect(joining).toContain("--initial-cluster-state=existing");
  const restart = etcdArgs({ name: "cp-1", advertiseAddress: "10.5.0.2", start: { state: "restart" } });
  expect(restart.filter((a) => a.startsWith("--initial-cluster"))).toEqual([]);
});

test("IPv6 addresses are bracketed in URLs", () => {
  expect(etcdPeerUrl("fd00::2")).toBe("https://[fd00::2]:2380");
  expect(etcdClientUrl("10.5.0.2")).toBe("https://10.5.0.2:2379");
});

test("the health check passes on {health: true} only, and says what etcd said otherwise", async () => {
  const answer = (status: number, body: string) => async () => new Response(body, { status });
  const signal = new AbortController().signal;
  const run = { attempt: 1 } as never;
  await expect(etcdHealthCheck(answer(200, '{"health":"true"}')).check(signal, run)).resolves.toBeUndefined();
  await expect(etcdHealthCheck(answer(503, '{"health":"false"}')).check(signal, run)).rejects.toThrow(
    'etcd /health: {"health":"false"}',
  );
  await expect(etcdHealthCheck(answer(404, "404 page not found")).check(signal, run)).rejects.toThrow(
    "etcd /health answered 404: 404 page not found",
  );
});

test("the service is made before etcd's start is decided: only a start asks for it", async () => {
  const { nodePaths } = await import("../node/node-paths.ts");
  let asked = 0;
  const make = () =>
    etcdService({
      paths: nodePaths("/tmp/bronze-etcd-svc-unit"),
      client: async () => {
        throw new Error("no containerd in this test");
      },
      nodeBinary: undefined,
      dataDir: "/tmp/bronze-etcd-svc-unit/etcd",
      pkiService: "etcd-pki",
      member: () => {
        asked++;
        throw new Error("etcd has no start decided yet");
      },
    });
  expect(make).not.toThrow();
  expect(asked).toBe(0);
});
