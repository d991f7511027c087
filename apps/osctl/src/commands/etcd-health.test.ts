import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type EtcdMember,
  EtcdMemberSchema,
  type EtcdStatusResponse,
  EtcdStatusResponseSchema,
  type ServiceInfo,
  ServiceInfoSchema,
} from "@bronze/api";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { withNodeSession } from "../client/node-client.ts";
import { type FakeApid, startFakeApid } from "../testing/fake-apid-fixture.ts";
import { createTestIo } from "../testing/test-io.ts";
import {
  type EtcdHealthInput,
  type EtcdNodeAnswer,
  etcdGatherer,
  etcdProblem,
  runsEtcd,
} from "./etcd-health.ts";

const member = (id: bigint, hostname: string, isLearner = false): EtcdMember =>
  create(EtcdMemberSchema, { id, hostname, isLearner });
const status = (init: MessageInitShape<typeof EtcdStatusResponseSchema>): EtcdStatusResponse =>
  create(EtcdStatusResponseSchema, { state: "joined the cluster", ...init });
const svc = (init: MessageInitShape<typeof ServiceInfoSchema>): ServiceInfo =>
  create(ServiceInfoSchema, init);

const CP1 = 0xa1n;
const CP2 = 0xb2n;
const CP3 = 0xc3n;
/** An answering node: member `id`, leader CP1 unless said otherwise. */
const answers = (node: string, id: bigint, init: MessageInitShape<typeof EtcdStatusResponseSchema> = {}) => ({
  node,
  status: { value: status({ memberId: id, leaderId: CP1, ...init }) },
});
/** A healthy three-member cluster, every member on a checked node. */
const healthy = (): EtcdHealthInput => ({
  nodes: [answers("10.0.0.1", CP1), answers("10.0.0.2", CP2), answers("10.0.0.3", CP3)],
  members: { value: [member(CP1, "cp-1"), member(CP2, "cp-2"), member(CP3, "cp-3")] },
  alarms: { value: [] },
});
/** The healthy cluster with node i's answer replaced. */
const withNode = (i: number, answer: EtcdNodeAnswer): EtcdHealthInput => {
  const input = healthy();
  input.nodes[i] = answer;
  return input;
};

test("runsEtcd: a node with an etcd service that is waited for; workers and --services without etcd are not", () => {
  const worker = [svc({ id: "apid", state: "Running" }), svc({ id: "kubelet", state: "Running" })];
  const cp = [...worker, svc({ id: "etcd", state: "Waiting", message: "for bootstrap" })];
  expect(runsEtcd(worker, [])).toBe(false);
  expect(runsEtcd(worker, ["etcd"])).toBe(false);
  expect(runsEtcd(cp, [])).toBe(true);
  expect(runsEtcd(cp, ["apid", "etcd"])).toBe(true);
  expect(runsEtcd(cp, ["apid"])).toBe(false);
  expect(runsEtcd([svc({ id: "etcd", state: "Skipped" })], [])).toBe(false);
  expect(runsEtcd([svc({ id: "etcd", state: "Finished" })], [])).toBe(false);
});

test("etcdProblem: a healthy cluster has none; no etcd node means nothing to check", () => {
  expect(etcdProblem(healthy())).toBeUndefined();
  // Learners report the leader too, and a one-member cluster leads itself.
  expect(
    etcdProblem({
      nodes: [answers("n", CP1)],
      members: { value: [member(CP1, "cp-1")] },
      alarms: { value: [] },
    }),
  ).toBeUndefined();
  expect(
    etcdProblem({ nodes: [], members: { error: "unavailable" }, alarms: { error: "unavailable" } }),
  ).toBeUndefined();
});

test("etcdProblem: unstarted members and learners are named", () => {
  const input = healthy();
  input.members = {
    value: [member(CP1, "cp-1"), member(CP2, "cp-2"), member(CP3, "cp-3", true), member(0x1a2b3cn, "", true)],
  };
  expect(etcdProblem(input)).toBe(
    "etcd member cp-3 (c3): a learner, not promoted yet, etcd member 1a2b3c: not started",
  );
});

test("etcdProblem: a member on a checked node that does not answer is named, with why", () => {
  const failed = withNode(2, {
    node: "10.0.0.3",
    hostname: "cp-3",
    status: { error: "unavailable: etcd does not answer on this node" },
  });
  expect(etcdProblem(failed)).toBe(
    "etcd member cp-3 (c3) does not answer: unavailable: etcd does not answer on this node",
  );
  // EtcdStatus answered, but without a member id: the state says why.
  const noId = withNode(2, {
    node: "10.0.0.3",
    hostname: "cp-3",
    status: { value: status({ state: "joined; not answering: connection refused" }) },
  });
  expect(etcdProblem(noId)).toBe(
    "etcd member cp-3 (c3) does not answer: joined; not answering: connection refused",
  );
  // Its hostname unknown: the node is named instead of the member.
  const anonymous = withNode(2, { node: "10.0.0.3", status: { error: "deadline exceeded" } });
  expect(etcdProblem(anonymous)).toBe("10.0.0.3: etcd does not answer: deadline exceeded");
});

test("etcdProblem: a member on a node outside the checked ones need only be started and voting", () => {
  const twoChecked = healthy();
  twoChecked.nodes = twoChecked.nodes.slice(0, 2);
  expect(etcdProblem(twoChecked)).toBeUndefined();
  twoChecked.members = { value: [member(CP1, "cp-1"), member(CP2, "cp-2"), member(CP3, "cp-3", true)] };
  expect(etcdProblem(twoChecked)).toBe("etcd member cp-3 (c3): a learner, not promoted yet");
});

test("etcdProblem: a checked node's member missing from the member list", () => {
  const input = healthy();
  input.members = { value: [member(CP1, "cp-1"), member(CP2, "cp-2")] };
  expect(etcdProblem(input)).toBe("10.0.0.3: etcd member c3 is not in the member list");
});

test("etcdProblem: no leader, a leader that is not a member, and members that disagree", () => {
  const none = healthy();
  none.nodes = none.nodes.map((n, i) => answers(n.node, [CP1, CP2, CP3][i] ?? 0n, { leaderId: 0n }));
  expect(etcdProblem(none)).toBe("etcd: no leader");

  const stranger = healthy();
  stranger.nodes = stranger.nodes.map((n, i) =>
    answers(n.node, [CP1, CP2, CP3][i] ?? 0n, { leaderId: 0xffn }),
  );
  expect(etcdProblem(stranger)).toBe("etcd: no leader (the leader ff is not a member)");

  const split = withNode(2, answers("10.0.0.3", CP3, { leaderId: CP3 }));
  expect(etcdProblem(split)).toBe(
    "etcd: members disagree on the leader (cp-1 (a1): cp-1 (a1), cp-2 (b2): cp-1 (a1), cp-3 (c3): cp-3 (c3))",
  );
  const partitioned = withNode(1, answers("10.0.0.2", CP2, { leaderId: 0n }));
  expect(etcdProblem(partitioned)).toBe(
    "etcd: members disagree on the leader (cp-1 (a1): cp-1 (a1), cp-2 (b2): none, cp-3 (c3): cp-1 (a1))",
  );
});

test("etcdProblem: errors a member reports and alarms are named", () => {
  const errors = withNode(1, answers("10.0.0.2", CP2, { errors: ["memberID:178 alarm:NOSPACE"] }));
  expect(etcdProblem(errors)).toBe("etcd member cp-2 (b2): memberID:178 alarm:NOSPACE");
  const alarms = healthy();
  alarms.alarms = {
    value: [
      { memberId: CP1, alarm: "NOSPACE" },
      { memberId: 0x1a2bn, alarm: "CORRUPT" },
    ],
  };
  expect(etcdProblem(alarms)).toBe(
    "etcd alarm NOSPACE on member cp-1 (a1), etcd alarm CORRUPT on member 1a2b",
  );
});

test("etcdProblem: failed EtcdMembers and EtcdAlarmList calls are problems, and the rest is still checked", () => {
  const input = withNode(1, answers("10.0.0.2", CP2, { leaderId: 0n }));
  input.members = { error: "unavailable: no etcd endpoint answers" };
  input.alarms = { error: "deadline exceeded after 10s" };
  expect(etcdProblem(input)).toBe(
    "etcd members: unavailable: no etcd endpoint answers, etcd: members disagree on the leader (a1: a1, b2: none, c3: a1), etcd alarms: deadline exceeded after 10s",
  );
  const empty = healthy();
  empty.members = { value: [] };
  expect(etcdProblem(empty)).toContain("etcd: no members");
});

// etcdGatherer against a fake apid: who is asked what.
let server: FakeApid;
const io = createTestIo();
let osconfig = "";
const statusFails = new Set<string>();

beforeAll(async () => {
  const ids: Record<string, bigint> = { "cp-1": CP1, "cp-2": CP2 };
  const nodeOf = (ctx: { requestHeader: Headers }) => ctx.requestHeader.get("x-bronze-node") ?? "self";
  server = await startFakeApid({
    etcdStatus: (_req, ctx) => {
      const node = nodeOf(ctx);
      if (statusFails.has(node))
        throw new ConnectError("etcd does not answer on this node", Code.Unavailable);
      return { state: "joined", memberId: ids[node] ?? 0n, leaderId: CP1 };
    },
    hostname: (_req, ctx) => ({ hostname: nodeOf(ctx) }),
    etcdMembers: () => ({ members: [member(CP1, "cp-1"), member(CP2, "cp-2")] }),
    etcdAlarmList: () => ({ alarms: [{ memberId: CP2, alarm: "NOSPACE" }] }),
  });
  osconfig = join(io.dir, "osconfig");
  writeFileSync(osconfig, server.osconfig("os:admin", [server.endpoint], ["cp-1"]));
});
afterAll(async () => {
  await server.close();
  io.cleanup();
});

test("etcdGatherer: status of each node, members and alarms of one that answers, hostnames asked once", async () => {
  statusFails.add("cp-2");
  const nodes = ["cp-2", "cp-1"];
  await withNodeSession({ osconfig, nodes }, io, {}, async (session) => {
    const gather = etcdGatherer(session);
    server.calls.length = 0;
    const first = await gather(nodes, 5000);
    expect(first.nodes.map((n) => [n.node, n.hostname, "error" in n.status])).toEqual([
      ["cp-2", "cp-2", true],
      ["cp-1", undefined, false],
    ]);
    expect(first.members).toEqual({ value: [member(CP1, "cp-1"), member(CP2, "cp-2")] });
    expect("value" in first.alarms && first.alarms.value.map((a) => a.alarm)).toEqual(["NOSPACE"]);
    const calls = server.calls.map((c) => `${c.method} ${c.node}`).sort();
    expect(calls).toEqual([
      "EtcdAlarmList cp-1",
      "EtcdMembers cp-1",
      "EtcdStatus cp-1",
      "EtcdStatus cp-2",
      "Hostname cp-2",
    ]);
    expect(etcdProblem(first)).toContain("etcd member cp-2 (b2) does not answer: unavailable:");
    expect(etcdProblem(first)).toContain("etcd alarm NOSPACE on member cp-2 (b2)");

    server.calls.length = 0;
    await gather(nodes, 5000);
    expect(server.calls.filter((c) => c.method === "Hostname")).toHaveLength(0);
  });
  statusFails.clear();
});

test("etcdGatherer: without -n the endpoint's own node is asked, with no node header", async () => {
  const none = join(io.dir, "none");
  writeFileSync(none, server.osconfig("os:admin", [server.endpoint]));
  await withNodeSession({ osconfig: none }, io, {}, async (session) => {
    server.calls.length = 0;
    const input = await etcdGatherer(session)([session.endpoint], 5000);
    expect(input.nodes.map((n) => n.node)).toEqual([session.endpoint]);
    expect(server.calls.every((c) => c.node === null)).toBe(true);
    expect(server.calls.map((c) => c.method).sort()).toEqual([
      "EtcdAlarmList",
      "EtcdMembers",
      "EtcdStatus",
      "Hostname",
    ]);
  });
});
