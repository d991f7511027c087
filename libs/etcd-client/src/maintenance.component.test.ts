// Maintenance of a real three-member etcd cluster, plaintext: status, leadership transfer, alarms,
// defragment, KV hashes, and failover when a member is down.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { waitFor } from "@bronze/testing";
import { useTestCluster } from "../test/etcd-fixture.ts";
import type { EtcdStatus } from "./convert.ts";

const fixture = useTestCluster({ members: 3, tls: false });

const statuses = () => Promise.all(fixture.cluster.endpoints.map((e) => fixture.client.status(e)));

test("every member's status names one leader, as etcdctl's endpoint status does", async () => {
  const { cluster } = fixture;
  const all = await statuses();
  expect(new Set(all.map((s) => s.memberId)).size).toBe(3);
  const leaders = new Set(all.map((s) => s.leader));
  expect(leaders.size).toBe(1);
  const [leader] = [...leaders];
  expect(all.map((s) => s.memberId)).toContain(leader as bigint);
  expect(all.map((s) => s.endpoint)).toEqual(cluster.endpoints);
  expect(cluster.endpoints[0]).toStartWith("http://");
  // etcdctl: `endpoint, id, version, db size, is leader, is learner, term, index, applied index, errors`
  const r = await cluster.etcdctl(["endpoint", "status", "-w", "simple"]);
  expect(r.exitCode).toBe(0);
  const theirs = r.stdout
    .trim()
    .split("\n")
    .map((l) => l.split(", "));
  for (const s of all) {
    const line = theirs.find((l) => l[0] === s.endpoint) as string[];
    expect(line[1]).toBe(s.memberId.toString(16));
    expect(line[4]).toBe(String(s.memberId === leader));
  }
});

test("moveLeader hands leadership to the member named, asked from wherever", async () => {
  const { cluster, client } = fixture;
  const before = await client.status();
  const followers = (await statuses()).filter((s) => s.memberId !== before.leader);
  const [asked, target] = followers as [EtcdStatus, EtcdStatus];
  // a client that knows only a follower: the lib finds the leader
  const viaFollower = await cluster.connect({ endpoints: [asked.endpoint] });
  try {
    await viaFollower.moveLeader(target.memberId);
  } finally {
    viaFollower.close();
  }
  await waitFor(
    async () => ((await statuses()).every((s) => s.leader === target.memberId) ? true : undefined),
    { what: "every member follows the new leader", timeoutMs: 10_000, intervalMs: 50 },
  );
  // moving it to the leader itself is nothing to do
  await client.moveLeader(target.memberId.toString(16));
  expect((await client.status(target.endpoint)).leader).toBe(target.memberId);
}, 30_000);

test("no alarms are raised; disarming one not raised disarms nothing", async () => {
  const { client } = fixture;
  expect(await client.alarmList()).toEqual([]);
  const s = await client.status();
  expect(await client.alarmDisarm(s.memberId, "NOSPACE")).toEqual([]);
  expect(await client.alarmDisarmAll()).toEqual([]);
});

test("defragment each member; the KV hashes of all members agree", async () => {
  const { cluster, client } = fixture;
  for (let i = 0; i < 20; i++) await client.put(`bronze/defrag/${i}`, "y".repeat(2048));
  for (let i = 0; i < 20; i++) await client.delete(`bronze/defrag/${i}`);
  const defragmented = (name: string) =>
    readFileSync(cluster.member(name).logPath, "utf8")
      .split("\n")
      .filter((l) => l.includes('"msg":"defragmented"')).length;
  for (const m of cluster.members) {
    const before = defragmented(m.name);
    await client.defragment(m.clientUrl);
    // etcd logs it when done: the call returned after the work, not before
    expect(defragmented(m.name)).toBe(before + 1);
    const after = await client.status(m.clientUrl);
    expect(after.dbSizeInUse).toBeLessThanOrEqual(after.dbSize);
  }
  const revision = (await client.hashKV(cluster.endpoints[0] as string)).revision;
  const hashes = await Promise.all(cluster.endpoints.map((e) => client.hashKV(e, revision)));
  expect(new Set(hashes.map((h) => h.hash)).size).toBe(1);
  expect(new Set(hashes.map((h) => h.memberId)).size).toBe(3);
}, 30_000);

test("with a member stopped, calls fall over to the others; it answers again once restarted", async () => {
  const { cluster, client } = fixture;
  const leader = (await client.status()).leader;
  const follower = (await statuses()).find((s) => s.memberId !== leader) as EtcdStatus;
  const name = cluster.members.find((m) => m.clientUrl === follower.endpoint)?.name as string;
  await cluster.stopMember(name);
  const c = await cluster.connect({
    endpoints: [follower.endpoint, ...cluster.endpoints],
  });
  try {
    expect(c.endpoint).not.toBe(follower.endpoint);
    await c.put("bronze/failover", "ok");
    expect(await c.get("bronze/failover")).toBe("ok");
    expect((await c.memberList()).length).toBe(3);
    await cluster.startMember(name);
    expect((await c.status(follower.endpoint)).memberId).toBe(follower.memberId);
  } finally {
    c.close();
  }
}, 30_000);
