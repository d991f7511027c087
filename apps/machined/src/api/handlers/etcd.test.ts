// The Etcd* handlers over the API fixture: refusals where the node has no etcd, the mapping of the
// operations' answers and errors (the operations themselves: etcd/*.test.ts, against real etcd).
import { afterAll, expect, test } from "bun:test";
import { EtcdError } from "@bronze/etcd-client";
import { Code, ConnectError } from "@connectrpc/connect";
import { EtcdBootstrapError } from "../../etcd/etcd-controller.ts";
import { EtcdOperationError } from "../../etcd/etcd-errors.ts";
import { makeFixture } from "../testing/api-fixture.ts";
import type { EtcdOperations } from "./etcd.ts";

async function failure(p: Promise<unknown> | AsyncIterable<unknown>): Promise<[Code, string]> {
  try {
    if (Symbol.asyncIterator in p) {
      for await (const _ of p) {
        // nothing
      }
    } else await p;
  } catch (e) {
    const err = ConnectError.from(e);
    return [err.code, err.rawMessage];
  }
  throw new Error("expected a refusal");
}

const worker = makeFixture({
  etcd: () => undefined,
  etcdAbsence: () => "this node is a worker: etcd runs on control planes",
});
afterAll(() => worker.cleanup());

test("a node without etcd refuses every etcd method with the reason", async () => {
  const admin = worker.client("os:admin");
  for (const call of [
    admin.bootstrap({}),
    admin.etcdMembers({}),
    admin.etcdSnapshot({}),
    admin.etcdStatus({}),
    admin.etcdLeaveCluster({}),
    admin.etcdAlarmList({}),
  ]) {
    const [code, message] = await failure(call);
    expect(code).toBe(Code.FailedPrecondition);
    expect(message).toEndWith("refused: this node is a worker: etcd runs on control planes");
  }
});

const calls: string[] = [];
const ops: EtcdOperations = {
  bootstrap: async (recover) => {
    if (recover)
      throw new EtcdOperationError(
        "FailedPrecondition",
        "no snapshot uploaded for recovery (osctl bootstrap --recover-from <file> uploads one)",
      );
    throw new EtcdBootstrapError("AlreadyExists", "etcd is already bootstrapped on this node");
  },
  recoverUpload: async (offset, data, last) => {
    calls.push(`upload ${offset}+${data.length}${last ? " last" : ""}`);
    if (offset > 0n)
      throw new EtcdOperationError(
        "FailedPrecondition",
        "the upload holds 0 bytes: send the part at offset 0",
      );
    return { size: BigInt(data.length), sha256: last ? "ab" : "" };
  },
  members: async () => [
    {
      id: 0x8e9e05c52164694dn,
      idHex: "8e9e05c52164694d",
      name: "cp-1",
      peerUrls: ["https://10.5.0.2:2380"],
      clientUrls: ["https://10.5.0.2:2379"],
      isLearner: false,
    },
  ],
  status: async () => ({ state: "bootstrapped", storage: "EPHEMERAL (/var/lib/etcd)" }),
  snapshot: () => ({
    async *[Symbol.asyncIterator]() {
      yield new Uint8Array([1, 2, 3]);
      yield new Uint8Array([4]);
    },
  }),
  leave: async (force) => {
    calls.push(`leave force=${force}`);
    throw new EtcdOperationError(
      "FailedPrecondition",
      "cp-1 is the cluster's last voting member (--force to do it anyway)",
    );
  },
  removeMember: async (member) => {
    calls.push(`remove ${member}`);
  },
  forfeitLeadership: async () => 7n,
  defragment: async () => ({ before: 100, after: 60 }),
  alarms: async () => {
    throw new EtcdError("Unavailable", "alarmList", "https://127.0.0.1:2379: connection refused");
  },
  disarm: async () => [],
  checkBeforeReboot: async () => {},
  leaveBeforeReset: async () => {},
};
const cp = makeFixture({ etcd: () => ops });
afterAll(() => cp.cleanup());

test("answers and refusals of a control plane's etcd, with their codes", async () => {
  const admin = cp.client("os:admin");
  const members = await admin.etcdMembers({});
  expect(members.members.map((m) => [m.id.toString(16), m.hostname, m.isLearner])).toEqual([
    ["8e9e05c52164694d", "cp-1", false],
  ]);
  expect(await failure(admin.bootstrap({}))).toEqual([
    Code.AlreadyExists,
    "bootstrap refused: etcd is already bootstrapped on this node",
  ]);
  expect(await failure(admin.bootstrap({ recoverEtcd: true }))).toEqual([
    Code.FailedPrecondition,
    "bootstrap --recover-from refused: no snapshot uploaded for recovery (osctl bootstrap --recover-from <file> uploads one)",
  ]);
  expect(await admin.etcdRecover({ offset: 0n, data: new Uint8Array(3), last: true })).toMatchObject({
    size: 3n,
    sha256: "ab",
  });
  expect((await failure(admin.etcdRecover({ offset: 9n, data: new Uint8Array(1) })))[0]).toBe(
    Code.FailedPrecondition,
  );
  const chunks: number[] = [];
  for await (const m of admin.etcdSnapshot({})) chunks.push(...m.data);
  expect(chunks).toEqual([1, 2, 3, 4]);
  expect((await admin.etcdStatus({})).storage).toBe("EPHEMERAL (/var/lib/etcd)");
  const [code, message] = await failure(admin.etcdLeaveCluster({ force: false }));
  expect(code).toBe(Code.FailedPrecondition);
  expect(message).toContain("last voting member");
  expect((await failure(admin.etcdRemoveMember({ member: " " })))[0]).toBe(Code.InvalidArgument);
  await admin.etcdRemoveMember({ member: "cp-2", force: false });
  expect(calls).toEqual(["upload 0+3 last", "upload 9+1", "leave force=false", "remove cp-2"]);
  expect((await admin.etcdForfeitLeadership({})).newLeaderId).toBe(7n);
  expect(await admin.etcdDefragment({})).toMatchObject({ dbSizeBefore: 100n, dbSizeAfter: 60n });
  expect((await failure(admin.etcdAlarmList({})))[0]).toBe(Code.Unavailable);
});

test("roles: a reader lists members and status; snapshots and membership changes are admin-only", async () => {
  const reader = cp.client("os:reader");
  expect((await reader.etcdMembers({})).members).toHaveLength(1);
  await reader.etcdStatus({});
  for (const call of [
    reader.etcdSnapshot({}),
    reader.etcdLeaveCluster({}),
    reader.etcdRemoveMember({ member: "cp-1" }),
    reader.bootstrap({}),
    reader.etcdRecover({ offset: 0n, data: new Uint8Array(1) }),
  ])
    expect((await failure(call))[0]).toBe(Code.PermissionDenied);
});
