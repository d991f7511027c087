import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EtcdMember } from "@bronze/api";
import { Code, ConnectError } from "@connectrpc/connect";
import { type FakeApid, startFakeApid } from "../testing/fake-apid-fixture.ts";
import { createTestIo } from "../testing/test-io.ts";
import { bootstrapClusterEtcd, describeMembers } from "./cluster-bootstrap.ts";
import type { ClusterState } from "./cluster-state.ts";

const member = (hostname: string, isLearner = false) =>
  ({ id: 1n, hostname, peerUrls: [], clientUrls: [], isLearner }) as unknown as EtcdMember;

test("members in progress lines", () => {
  expect(describeMembers([member("cp-1"), member("cp-2", true), member(""), member("")])).toBe(
    "cp-1, cp-2 (learner), 2 unstarted",
  );
});

let server: FakeApid;
const io = createTestIo();
let osconfig = "";
let bootstraps = 0;
let listed = 0;
/** What EtcdMembers answers on each call: the cluster growing as the others join. */
const timeline = [
  [member("cp-1")],
  [member("cp-1"), member("")],
  [member("cp-1"), member("cp-2", true)],
  [member("cp-1"), member("cp-2")],
];

beforeAll(async () => {
  server = await startFakeApid({
    bootstrap: () => {
      bootstraps++;
      if (bootstraps > 1)
        throw new ConnectError("etcd is already bootstrapped on this node", Code.AlreadyExists);
      return {};
    },
    etcdMembers: () => ({ members: timeline[Math.min(listed++, timeline.length - 1)] ?? [] }),
  });
  osconfig = join(io.dir, "osconfig");
  writeFileSync(osconfig, server.osconfig("os:admin", [server.endpoint]));
});
afterAll(async () => {
  await server.close();
  io.cleanup();
});

const state = {
  name: "t",
  nodes: [
    { name: "t-controlplane-1", role: "controlplane", clusterIp: "10.5.0.2" },
    { name: "t-controlplane-2", role: "controlplane", clusterIp: "10.5.0.3" },
    { name: "t-worker-1", role: "worker", clusterIp: "10.5.0.4" },
  ],
} as unknown as ClusterState;

test("bootstraps the first control plane and waits until every control plane is a voting member", async () => {
  const code = await bootstrapClusterEtcd(
    state,
    { osconfig, context: "test", timeoutMs: 60_000, elapsed: () => "1s", sleep: async () => {} },
    io,
  );
  expect(code).toBe(0);
  expect(io.out.join("")).toContain("t-controlplane-1: etcd bootstrapped");
  expect(io.out.join("")).toContain("etcd members: cp-1, cp-2 (learner)");
  expect(io.out.join("")).toContain("etcd healthy: 2 voting members");
  // a second run finds it bootstrapped and still waits for the members
  listed = 0;
  expect(
    await bootstrapClusterEtcd(
      state,
      { osconfig, context: "test", timeoutMs: 60_000, elapsed: () => "1s", sleep: async () => {} },
      io,
    ),
  ).toBe(0);
  expect(io.out.join("")).toContain("etcd was bootstrapped already");
});

test("a cluster that never gets its members in time fails saying so", async () => {
  listed = 0;
  let t = 0;
  const code = await bootstrapClusterEtcd(
    {
      ...state,
      nodes: [...state.nodes, { name: "t-controlplane-3", role: "controlplane", clusterIp: "10.5.0.5" }],
    } as ClusterState,
    {
      osconfig,
      context: "test",
      timeoutMs: 10_000,
      elapsed: () => "1s",
      sleep: async (ms) => {
        t += ms;
      },
      now: () => t,
    },
    io,
  );
  expect(code).toBe(1);
  expect(io.err.join("")).toContain("etcd did not reach 3 voting members in time (members: cp-1, cp-2)");
});
