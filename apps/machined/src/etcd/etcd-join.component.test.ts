// The join logic against real etcd (Debian's 3.4, TLS, on loopback; @bronze/etcd-client's harness):
// a second member joins as a learner and is promoted; a third joins; the second, after losing its data,
// comes back under its name (its stale member removed first); all three are voting members.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import type { EtcdClient } from "@bronze/etcd-client";
import { startTestEtcdCluster, type TestEtcdCluster } from "@bronze/etcd-client/testing";
import { waitFor } from "@bronze/testing";
import { type EtcdMembership, type JoinPlan, joinCluster, promoteWhenInSync } from "./etcd-join.ts";
import { membershipOf } from "./node-etcd.ts";

let cluster: TestEtcdCluster;
let client: EtcdClient;

beforeAll(async () => {
  cluster = await startTestEtcdCluster({ members: 1, tls: true });
  client = await cluster.connect();
}, 60_000);

afterAll(async () => {
  client?.close();
  await cluster?.stop();
});

// the adapter machined's controller uses (node-etcd.ts)
const membership = (): EtcdMembership => membershipOf(client);

/** joinCluster, retried as the controller does while etcd refuses changes (5 s after a start). */
async function join(name: string, peerUrl: string, steps: string[] = []): Promise<JoinPlan> {
  let last = "";
  const plan = await waitFor(
    async () => {
      try {
        return await joinCluster(membership(), { name, peerUrl }, (step) => steps.push(step));
      } catch (err) {
        last = (err as Error).message;
        return undefined;
      }
    },
    { what: `${name} joins`, timeoutMs: 30_000, intervalMs: 500 },
  ).catch((err) => {
    throw new Error(`${(err as Error).message}: ${last}`);
  });
  return plan;
}

const parseCluster = (initialCluster: string) =>
  initialCluster.split(",").map((entry) => {
    const [name = "", url = ""] = entry.split("=");
    return { name, peerUrls: [url] };
  });

const promote = (plan: JoinPlan) =>
  promoteWhenInSync(membership(), plan.memberId, {
    sleep: (ms) => Bun.sleep(ms),
    now: () => Date.now(),
    timeoutMs: 30_000,
    intervalMs: 250,
  });

const voters = async () =>
  (await client.memberList())
    .filter((m) => !m.isLearner && m.name !== "")
    .map((m) => m.name)
    .sort();

test("a new member joins as a learner, starts with the plan's --initial-cluster, and is promoted", async () => {
  const second = await cluster.prepareMember();
  const plan = await join(second.name, second.peerUrl);
  expect(plan.steps).toEqual([expect.stringMatching(/^added as learner [0-9a-f]+ \(/)]);
  expect((await client.memberList()).find((m) => m.id === plan.memberId)?.isLearner).toBe(true);
  await cluster.joinMember(second, parseCluster(plan.initialCluster));
  expect(await promote(plan)).toBe(true);
  expect(await voters()).toEqual([cluster.members[0]?.name ?? "", second.name].sort());
}, 90_000);

test("a third joins; a member that lost its data rejoins under its name, its stale entry removed first", async () => {
  const third = await cluster.prepareMember();
  const thirdPlan = await join(third.name, third.peerUrl);
  await cluster.joinMember(third, parseCluster(thirdPlan.initialCluster));
  expect(await promote(thirdPlan)).toBe(true);
  expect(await voters()).toEqual(cluster.members.map((m) => m.name).sort());

  // 2 of 3 still make a quorum: the dead member's entry can be removed and the node added again
  const second = cluster.members[1];
  if (second === undefined) throw new Error("the first test did not add a member");
  await cluster.stopMember(second.name, { kill: true });
  rmSync(second.dataDir, { recursive: true, force: true });
  const steps: string[] = [];
  const plan = await join(second.name, second.peerUrl, steps);
  expect(steps[0]).toContain("removed stale member");
  expect(steps[0]).toContain(`(${second.name},`);
  expect(steps.at(-1)).toContain("added as learner");
  await cluster.joinMember(second, parseCluster(plan.initialCluster));
  expect(await promote(plan)).toBe(true);
  expect(await voters()).toEqual(cluster.members.map((m) => m.name).sort());

  // the data written through one member reads through another
  await client.put("bronze/join", "three members");
  const other = await cluster.connect({ endpoints: [second.clientUrl] });
  try {
    expect(await other.get("bronze/join")).toBe("three members");
  } finally {
    other.close();
  }
}, 120_000);
