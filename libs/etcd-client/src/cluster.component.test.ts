// Membership of a real three-member etcd cluster with TLS: list, add a learner, start it, promote it
// once in sync, remove it; etcd's refusals as typed errors.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { waitFor } from "@bronze/testing";
import { etcdFailure, useTestCluster } from "../test/etcd-fixture.ts";
import type { EtcdMember } from "./convert.ts";
import { isEtcdError } from "./errors.ts";

const fixture = useTestCluster({ members: 3, tls: true });

/** etcdctl's view: `id, status, name, peer URLs, client URLs, is learner` a line. */
async function etcdctlMembers(): Promise<string[][]> {
  const { cluster } = fixture;
  const r = await cluster.etcdctl(["member", "list", "-w", "simple"]);
  expect(r.exitCode).toBe(0);
  return r.stdout
    .trim()
    .split("\n")
    .map((l) => l.split(", "));
}

test("memberList shows the three members, as etcdctl does", async () => {
  const { cluster, client } = fixture;
  const members = await client.memberList();
  expect(members).toHaveLength(3);
  expect(members.map((m) => m.name).sort()).toEqual(["m0", "m1", "m2"]);
  for (const m of members) {
    const harness = cluster.member(m.name);
    expect(m.peerUrls).toEqual([harness.peerUrl]);
    expect(m.clientUrls).toEqual([harness.clientUrl]);
    expect(m.isLearner).toBe(false);
    expect(m.idHex).toBe(m.id.toString(16));
  }
  const theirs = await etcdctlMembers();
  expect(theirs.map(([id, , name]) => `${id} ${name}`).sort()).toEqual(
    members.map((m) => `${m.idHex} ${m.name}`).sort(),
  );
});

test("a learner is added, refused promotion until it runs and has caught up, then promoted", async () => {
  const { cluster, client } = fixture;
  const m3 = await cluster.prepareMember();
  // etcd 3.4 refuses any member change until the member asked has been connected to every voting
  // member for 5 s (UnhealthyCluster): right after the cluster started, it must be retried.
  const added = await waitFor(
    async () => {
      try {
        return await client.memberAdd([m3.peerUrl], { learner: true });
      } catch (e) {
        if (isEtcdError(e, "UnhealthyCluster")) return undefined;
        throw e;
      }
    },
    { what: "memberAdd of a learner accepted", timeoutMs: 20_000, intervalMs: 250 },
  );
  expect(added.member.isLearner).toBe(true);
  expect(added.member.name).toBe("");
  expect(added.member.peerUrls).toEqual([m3.peerUrl]);
  expect(added.members).toHaveLength(4);
  expect(added.members.map((m) => m.id)).toContain(added.member.id);

  // etcd 3.4 takes one learner at a time
  const second = await etcdFailure(client.memberAdd(["https://127.0.0.1:1"], { learner: true }));
  expect(second.reason).toBe("TooManyLearners");
  expect(second.code).toBe("FailedPrecondition");
  expect(second.detail).toStartWith("etcdserver: too many learner members");
  // not started: its log is nowhere near the leader's
  const early = await etcdFailure(client.memberPromote(added.member.id));
  expect(early.reason).toBe("LearnerNotReady");

  await cluster.joinMember(m3, added.members);
  const learnerStatus = await client.status(m3.clientUrl);
  expect(learnerStatus.isLearner).toBe(true);
  expect(learnerStatus.memberId).toBe(added.member.id);
  // a learner serves no keys: a client pointed at it alone is told so
  const atLearner = await cluster.connect({ endpoints: [m3.clientUrl] });
  try {
    expect((await etcdFailure(atLearner.get("x"))).reason).toBe("NotSupportedForLearner");
  } finally {
    atLearner.close();
  }

  const promoted = await waitFor(
    async () => {
      try {
        return await client.memberPromote(added.member.idHex);
      } catch (e) {
        if (isEtcdError(e, "LearnerNotReady")) return undefined;
        throw e;
      }
    },
    { what: "learner promoted", timeoutMs: 20_000, intervalMs: 100 },
  );
  const now = promoted.find((m) => m.id === added.member.id) as EtcdMember;
  expect(now.isLearner).toBe(false);
  const listed = await client.memberList();
  expect(listed).toHaveLength(4);
  expect(listed.every((m) => !m.isLearner)).toBe(true);
  expect(listed.find((m) => m.id === added.member.id)?.name).toBe("m3");

  // promoting a voting member is refused
  expect((await etcdFailure(client.memberPromote(added.member.id))).reason).toBe("MemberNotLearner");

  const left = await client.memberRemove(added.member.id);
  expect(left.map((m) => m.name).sort()).toEqual(["m0", "m1", "m2"]);
  expect((await etcdctlMembers()).map((l) => l[2]).sort()).toEqual(["m0", "m1", "m2"]);
  await cluster.stopMember("m3", { kill: true });

  const again = await etcdFailure(client.memberRemove(added.member.id));
  expect(again.code).toBe("NotFound");
  expect(again.reason).toBe("MemberNotFound");
  expect(again.message).toBe(`memberRemove ${added.member.idHex}: etcdserver: member not found`);
}, 60_000);

test("with a member down, etcd refuses to change membership (UnhealthyCluster)", async () => {
  const { cluster, client } = fixture;
  const leader = await client.status();
  const members = await client.memberList();
  const leaderMember = members.find((m) => m.id === leader.leader) as EtcdMember;
  const down = members.find((m) => m.id !== leader.leader) as EtcdMember;
  await cluster.stopMember(down.name, { kill: true });
  // the leader must have seen the connection go before it refuses
  const log = cluster.member(leaderMember.name).logPath;
  await waitFor(
    () =>
      readFileSync(log, "utf8")
        .split("\n")
        .some((l) => l.includes("peer became inactive") && l.includes(`"peer-id":"${down.idHex}"`)) ||
      undefined,
    { what: `${leaderMember.name} saw ${down.name} go`, timeoutMs: 10_000, intervalMs: 50 },
  );
  const atLeader = await cluster.connect({ endpoints: [cluster.member(leaderMember.name).clientUrl] });
  try {
    // a learner: had etcd taken it, quorum would be unchanged
    const e = await etcdFailure(atLeader.memberAdd(["https://127.0.0.1:1"], { learner: true }));
    expect(e.reason).toBe("UnhealthyCluster");
    expect(e.code).toBe("Unavailable");
    expect(e.detail).toBe("etcdserver: unhealthy cluster");
    // the client falls over from the dead member to the others
    const all = await cluster.connect({
      endpoints: [cluster.member(down.name).clientUrl, cluster.member(leaderMember.name).clientUrl],
    });
    expect(all.endpoint).toBe(cluster.member(leaderMember.name).clientUrl);
    all.close();
  } finally {
    atLeader.close();
  }
}, 60_000);
