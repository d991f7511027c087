import { expect, test } from "bun:test";
import { othersNotHealthy, type QuorumMember, quorumOf, removalBreaksQuorum } from "./etcd-quorum.ts";

const m = (id: number, healthy = true, isLearner = false): QuorumMember => ({
  id: BigInt(id),
  name: `cp-${id}`,
  healthy,
  isLearner,
});

test("quorum is a majority of the voters", () => {
  expect([1, 2, 3, 4, 5].map(quorumOf)).toEqual([1, 2, 2, 3, 3]);
});

test("three healthy members: any one can go; the last voter never", () => {
  expect(removalBreaksQuorum([m(1), m(2), m(3)], 3n)).toBeUndefined();
  expect(removalBreaksQuorum([m(1)], 1n)).toBe("cp-1 is the cluster's last voting member");
});

test("one member down of three: removing a healthy one leaves 1 of 2 healthy, refused; removing the dead one is fine", () => {
  expect(removalBreaksQuorum([m(1), m(2), m(3, false)], 1n)).toBe(
    "without cp-1, 1 of 2 voting members would be healthy and etcd needs 2 (not answering: cp-3)",
  );
  expect(removalBreaksQuorum([m(1), m(2), m(3, false)], 3n)).toBeUndefined();
});

test("learners do not count and can always go; an unknown id is not this check's business", () => {
  expect(removalBreaksQuorum([m(1), m(2, true, true)], 2n)).toBeUndefined();
  expect(removalBreaksQuorum([m(1), m(2, false, true)], 1n)).toBe("cp-1 is the cluster's last voting member");
  expect(removalBreaksQuorum([m(1)], 9n)).toBeUndefined();
});

test("before an upgrade's reboot, every other member must be started and answering", () => {
  expect(othersNotHealthy([m(1)], 1n)).toBeUndefined();
  expect(othersNotHealthy([m(1), m(2), m(3)], 1n)).toBeUndefined();
  expect(othersNotHealthy([m(1, false), m(2)], 2n)).toBe(
    "etcd member cp-1 is not healthy, and this node's member goes away while it reboots: every member must be healthy first",
  );
  const unstarted: QuorumMember = { id: 0x2an, name: "", healthy: false, isLearner: true };
  expect(othersNotHealthy([m(1), m(3, false), unstarted], 1n)).toContain(
    "etcd members cp-3, 2a (not started) are not healthy",
  );
});
