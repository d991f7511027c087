// Bootstrap and the Etcd* methods (etcd/node-etcd.ts does the work). A node without etcd — a worker,
// a node in maintenance mode, container mode — refuses each with the reason.

import { EtcdError } from "@bronze/etcd-client";
import { coalescePieces } from "@bronze/grpc-stream";
import { Code, ConnectError } from "@connectrpc/connect";
import { EtcdBootstrapError } from "../../etcd/etcd-controller.ts";
import { EtcdOperationError } from "../../etcd/etcd-errors.ts";
import type { NodeEtcd } from "../../etcd/node-etcd.ts";
import type { MachineServiceImpl } from "./handler-types.ts";

export type EtcdOperations = Pick<
  NodeEtcd,
  | "bootstrap"
  | "recoverUpload"
  | "members"
  | "status"
  | "snapshot"
  | "leave"
  | "removeMember"
  | "forfeitLeadership"
  | "defragment"
  | "alarms"
  | "disarm"
  | "checkBeforeReboot"
  | "leaveBeforeReset"
>;

/** The size of EtcdSnapshot's messages (the last one is shorter). */
export const SNAPSHOT_MESSAGE_BYTES = 1024 * 1024;

/** Why a node has no etcd (undefined: it has one). */
export type EtcdAbsence = () => string;

const ETCD_CODES: Partial<Record<string, Code>> = {
  NotFound: Code.NotFound,
  AlreadyExists: Code.AlreadyExists,
  FailedPrecondition: Code.FailedPrecondition,
  Unavailable: Code.Unavailable,
  DeadlineExceeded: Code.DeadlineExceeded,
  InvalidArgument: Code.InvalidArgument,
  PermissionDenied: Code.PermissionDenied,
  Unauthenticated: Code.Unauthenticated,
  ResourceExhausted: Code.ResourceExhausted,
};

/** An etcd operation's failure as the API's error, `doing` first ("upgrade refused: …"). */
export function etcdToConnect(err: unknown, doing: string): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof EtcdBootstrapError || err instanceof EtcdOperationError)
    return new ConnectError(`${doing}: ${err.message}`, Code[err.code]);
  if (err instanceof EtcdError)
    return new ConnectError(`${doing}: ${err.message}`, ETCD_CODES[err.code] ?? Code.FailedPrecondition);
  return new ConnectError(`${doing}: ${err instanceof Error ? err.message : String(err)}`, Code.Internal);
}

type EtcdMethods =
  | "bootstrap"
  | "etcdRecover"
  | "etcdMembers"
  | "etcdSnapshot"
  | "etcdStatus"
  | "etcdLeaveCluster"
  | "etcdRemoveMember"
  | "etcdForfeitLeadership"
  | "etcdDefragment"
  | "etcdAlarmList"
  | "etcdAlarmDisarm";

export function etcdHandlers(
  etcd: () => EtcdOperations | undefined,
  absence: EtcdAbsence,
): Pick<MachineServiceImpl, EtcdMethods> {
  const use = (what: string): EtcdOperations => {
    const ops = etcd();
    if (ops === undefined) throw new ConnectError(`${what} refused: ${absence()}`, Code.FailedPrecondition);
    return ops;
  };
  const call = async <T>(what: string, run: (ops: EtcdOperations) => Promise<T>): Promise<T> => {
    const ops = use(what);
    try {
      return await run(ops);
    } catch (err) {
      throw etcdToConnect(err, `${what} refused`);
    }
  };
  const alarm = (a: { memberId: bigint; alarm: string }) => ({ memberId: a.memberId, alarm: a.alarm });
  return {
    bootstrap: async (req) => {
      await call(req.recoverEtcd ? "bootstrap --recover-from" : "bootstrap", (ops) =>
        ops.bootstrap(req.recoverEtcd),
      );
      return {};
    },
    etcdRecover: async (req) =>
      await call("etcd recovery upload", (ops) => ops.recoverUpload(req.offset, req.data, req.last)),
    etcdMembers: async () => ({
      members: (await call("etcd members", (ops) => ops.members())).map((m) => ({
        id: m.id,
        hostname: m.name,
        peerUrls: m.peerUrls,
        clientUrls: m.clientUrls,
        isLearner: m.isLearner,
      })),
    }),
    async *etcdSnapshot(_req, ctx) {
      const ops = use("etcd snapshot");
      try {
        // etcd's blobs come as HTTP/2 delivered them (16 KiB or less): sent on in messages of 1 MiB
        for await (const data of coalescePieces(ops.snapshot(ctx.signal), SNAPSHOT_MESSAGE_BYTES))
          yield { data };
      } catch (err) {
        throw etcdToConnect(err, "etcd snapshot failed");
      }
    },
    etcdStatus: async () => {
      const { state, storage, status } = await call("etcd status", (ops) => ops.status());
      return {
        state,
        storage,
        ...(status === undefined
          ? {}
          : {
              memberId: status.memberId,
              leaderId: status.leader,
              version: status.version,
              dbSize: BigInt(status.dbSize),
              dbSizeInUse: BigInt(status.dbSizeInUse),
              raftIndex: BigInt(status.raftIndex),
              raftTerm: BigInt(status.raftTerm),
              isLearner: status.isLearner,
              errors: status.errors,
            }),
      };
    },
    etcdLeaveCluster: async (req) => {
      await call("etcd leave", (ops) => ops.leave(req.force));
      return {};
    },
    etcdRemoveMember: async (req) => {
      if (req.member.trim() === "")
        throw new ConnectError("etcd remove-member: name a member id or hostname", Code.InvalidArgument);
      await call("etcd remove-member", (ops) => ops.removeMember(req.member, req.force));
      return {};
    },
    etcdForfeitLeadership: async () => ({
      newLeaderId: await call("etcd forfeit-leadership", (ops) => ops.forfeitLeadership()),
    }),
    etcdDefragment: async () => {
      const { before, after } = await call("etcd defrag", (ops) => ops.defragment());
      return { dbSizeBefore: BigInt(before), dbSizeAfter: BigInt(after) };
    },
    etcdAlarmList: async () => ({
      alarms: (await call("etcd alarm list", (ops) => ops.alarms())).map(alarm),
    }),
    etcdAlarmDisarm: async () => ({
      disarmed: (await call("etcd alarm disarm", (ops) => ops.disarm())).map(alarm),
    }),
  };
}
