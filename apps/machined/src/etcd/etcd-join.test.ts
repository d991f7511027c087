// The join logic against an in-memory membership (the real etcd is in etcd-join.component.test.ts).
import { expect, test } from "bun:test";
import { type EtcdMember, type EtcdMembership, joinCluster, promoteWhenInSync } from "./etcd-join.ts";

class FakeMembership implements EtcdMembership {
  members: EtcdMember[];
  next = 100n;
  /** memberPromote refuses this many times as etcd does while the learner catches up. */
  notInSync = 0;
  calls: string[] = [];
  constructor(members: EtcdMember[]) {
    this.members = members;
  }
  async memberList() {
    return this.members;
  }
  async memberAdd(peerUrls: readonly string[], options: { learner: boolean }) {
    this.calls.push(`add ${peerUrls.join(" ")} learner=${options.learner}`);
    const member = { id: this.next++, name: "", peerUrls, clientUrls: [], isLearner: options.learner };
    this.members = [...this.members, member];
    return { member };
  }
  async memberRemove(id: bigint) {
    this.calls.push(`remove ${id}`);
    this.members = this.members.filter((m) => m.id !== id);
  }
  async memberPromote(id: bigint) {
    this.calls.push(`promote ${id}`);
    if (this.notInSync-- > 0)
      throw new Error("etcdserver: can only promote a learner member which is in sync with leader");
    this.members = this.members.map((m) => (m.id === id ? { ...m, isLearner: false } : m));
  }
}

const member = (id: bigint, name: string, ip: string, isLearner = false): EtcdMember => ({
  id,
  name,
  peerUrls: [`https://${ip}:2380`],
  clientUrls: name === "" ? [] : [`https://${ip}:2379`],
  isLearner,
});

test("a new control plane adds itself as a learner; --initial-cluster names the started members and it", async () => {
  const fake = new FakeMembership([member(1n, "cp-1", "10.5.0.2"), member(2n, "cp-2", "10.5.0.3")]);
  const plan = await joinCluster(fake, { name: "cp-3", peerUrl: "https://10.5.0.4:2380" });
  expect(fake.calls).toEqual(["add https://10.5.0.4:2380 learner=true"]);
  expect(plan.memberId).toBe(100n);
  expect(plan.initialCluster).toBe(
    "cp-1=https://10.5.0.2:2380,cp-2=https://10.5.0.3:2380,cp-3=https://10.5.0.4:2380",
  );
  expect(plan.steps).toEqual(["added as learner 64 (https://10.5.0.4:2380)"]);
});

test("a node whose data is gone removes its stale member (its own name) before adding itself", async () => {
  const fake = new FakeMembership([member(1n, "cp-1", "10.5.0.2"), member(7n, "cp-3", "10.5.0.9")]);
  const plan = await joinCluster(fake, { name: "cp-3", peerUrl: "https://10.5.0.4:2380" });
  expect(fake.calls).toEqual(["remove 7", "add https://10.5.0.4:2380 learner=true"]);
  expect(plan.initialCluster).toBe("cp-1=https://10.5.0.2:2380,cp-3=https://10.5.0.4:2380");
  expect(plan.steps[0]).toContain("removed stale member 7 (cp-3");
});

test("another node's member at this node's peer URL is never removed: the join is refused saying why", async () => {
  // e.g. every QEMU node has 10.0.2.15 on its user-mode NIC: advertising it would collide
  const fake = new FakeMembership([member(1n, "cp-1", "10.0.2.15")]);
  await expect(joinCluster(fake, { name: "cp-2", peerUrl: "https://10.0.2.15:2380" })).rejects.toThrow(
    "member cp-1 (1) already uses https://10.0.2.15:2380: this node advertises another node's address",
  );
  expect(fake.calls).toEqual([]);
});

test("an entry added for this peer URL that never started is reused, not added twice", async () => {
  const fake = new FakeMembership([member(1n, "cp-1", "10.5.0.2"), member(9n, "", "10.5.0.4", true)]);
  const plan = await joinCluster(fake, { name: "cp-3", peerUrl: "https://10.5.0.4:2380" });
  expect(fake.calls).toEqual([]);
  expect(plan.memberId).toBe(9n);
  expect(plan.initialCluster).toBe("cp-1=https://10.5.0.2:2380,cp-3=https://10.5.0.4:2380");
});

test("promotion waits while etcd says the learner is not in sync, then promotes; other failures back off", async () => {
  const fake = new FakeMembership([member(1n, "cp-1", "10.5.0.2"), member(5n, "cp-2", "10.5.0.3", true)]);
  fake.notInSync = 3;
  let now = 0;
  const sleeps: number[] = [];
  const options = {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
  expect(await promoteWhenInSync(fake, 5n, options)).toBe(true);
  expect(fake.calls).toEqual(["promote 5", "promote 5", "promote 5", "promote 5"]);
  expect(sleeps).toEqual([1000, 1000, 1000]);
  // already a voter: nothing to do
  expect(await promoteWhenInSync(fake, 5n, options)).toBe(true);
  expect(fake.calls).toHaveLength(4);

  const stuck = new FakeMembership([member(5n, "cp-2", "10.5.0.3", true)]);
  stuck.notInSync = 1_000;
  expect(await promoteWhenInSync(stuck, 5n, { ...options, timeoutMs: 10_000 })).toBe(false);

  const gone = new FakeMembership([]);
  await expect(promoteWhenInSync(gone, 5n, options)).rejects.toThrow("member 5 is no longer in the cluster");

  // any other failure (a deadline on a loaded node) is retried, backing off, and reported
  const slow = new FakeMembership([member(5n, "cp-2", "10.5.0.3", true)]);
  let failures = 2;
  const promote = slow.memberPromote.bind(slow);
  slow.memberPromote = async (id: bigint) => {
    if (failures-- > 0)
      throw new Error(
        "memberPromote 5: deadline exceeded: etcd at https://10.5.0.2:2379 did not answer in time",
      );
    await promote(id);
  };
  const why: string[] = [];
  sleeps.length = 0;
  expect(await promoteWhenInSync(slow, 5n, { ...options, onRetry: (w) => why.push(w) })).toBe(true);
  expect(sleeps).toEqual([2000, 4000]);
  expect(why).toHaveLength(2);
  expect(why[0]).toContain("deadline exceeded");
});
