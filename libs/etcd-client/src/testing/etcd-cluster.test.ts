import { expect, test } from "bun:test";
import { etcdMemberArgs, initialCluster } from "./etcd-cluster.ts";

test("a member's command line: its URLs, the initial cluster, and TLS for clients and peers", () => {
  const args = etcdMemberArgs({
    name: "m0",
    dataDir: "/tmp/e/m0",
    clientUrl: "https://127.0.0.1:2001",
    peerUrl: "https://127.0.0.1:2002",
    initialCluster: "m0=https://127.0.0.1:2002",
    state: "new",
    token: "etcd-x",
    tls: { ca: "/p/ca.crt", cert: "/p/m.crt", key: "/p/m.key" },
  });
  expect(args).toContain("--listen-client-urls=https://127.0.0.1:2001");
  expect(args).toContain("--advertise-client-urls=https://127.0.0.1:2001");
  expect(args).toContain("--initial-advertise-peer-urls=https://127.0.0.1:2002");
  expect(args).toContain("--initial-cluster-state=new");
  expect(args).toContain("--client-cert-auth");
  expect(args).toContain("--peer-client-cert-auth");
  expect(args).toContain("--peer-trusted-ca-file=/p/ca.crt");
  const plain = etcdMemberArgs({
    name: "m1",
    dataDir: "/d",
    clientUrl: "http://127.0.0.1:1",
    peerUrl: "http://127.0.0.1:2",
    initialCluster: "m1=http://127.0.0.1:2",
    state: "existing",
    token: "t",
  });
  expect(plain.some((a) => a.includes("cert"))).toBe(false);
  expect(plain).toContain("--initial-cluster-state=existing");
});

test("the initial cluster of a joining member names it where memberAdd's answer does not", () => {
  const members = [
    { name: "m0", peerUrls: ["https://127.0.0.1:2"] },
    { name: "", peerUrls: ["https://127.0.0.1:4"] },
  ];
  expect(initialCluster(members, (urls) => (urls.includes("https://127.0.0.1:4") ? "m3" : undefined))).toBe(
    "m0=https://127.0.0.1:2,m3=https://127.0.0.1:4",
  );
  expect(() => initialCluster(members)).toThrow("has no name");
});
