// Maintenance of members: status (of the current endpoint, or of one named), alarms, defragment,
// leadership transfer and the KV hash. Operations on one member's own state go to that member alone.

import { memberList } from "./cluster.ts";
import type { CallOptions, Connection } from "./connection.ts";
import {
  type EtcdAlarm,
  type EtcdAlarmType,
  type EtcdHashKV,
  type EtcdStatus,
  formatMemberId,
  parseMemberId,
  toAlarm,
  toAlarmType,
  toNumber,
  toStatus,
} from "./convert.ts";
import { EtcdError } from "./errors.ts";
import {
  AlarmRequest_AlarmAction,
  AlarmType,
  Maintenance,
} from "./gen/etcd/etcdserver/etcdserverpb/rpc_pb.ts";

/** Defragmenting rewrites the whole database file: its deadline is longer than a call's. */
export const DEFRAGMENT_TIMEOUT_MS = 5 * 60_000;

/** Status of `endpoint` alone, or of the current endpoint (falling over to the next ones). */
export function status(conn: Connection, endpoint?: string, options?: CallOptions): Promise<EtcdStatus> {
  const op = endpoint === undefined ? "status" : `status ${endpoint}`;
  if (endpoint !== undefined)
    return conn.callAt(op, endpoint, options, async (a) =>
      toStatus(a.endpoint, await a.client(Maintenance).status({}, a.options)),
    );
  return conn.call(
    op,
    options,
    async (a) => toStatus(a.endpoint, await a.client(Maintenance).status({}, a.options)),
    {
      idempotent: true,
    },
  );
}

/** The alarms raised in the cluster (NOSPACE, CORRUPT), by member. */
export async function alarmList(conn: Connection, options?: CallOptions): Promise<EtcdAlarm[]> {
  const r = await conn.call(
    "alarmList",
    options,
    (a) =>
      a
        .client(Maintenance)
        .alarm({ action: AlarmRequest_AlarmAction.GET, memberID: 0n, alarm: AlarmType.NONE }, a.options),
    { idempotent: true },
  );
  return r.alarms.map(toAlarm).filter((x) => x !== undefined);
}

/** Disarms one member's alarm; returns the alarms disarmed (none when it was not raised). */
export async function alarmDisarm(
  conn: Connection,
  memberId: bigint | string,
  alarm: EtcdAlarmType,
  options?: CallOptions,
): Promise<EtcdAlarm[]> {
  const op0 = "alarmDisarm";
  const id = parseMemberId(op0, memberId);
  const op = `${op0} ${formatMemberId(id)} ${alarm}`;
  const type = toAlarmType(op, alarm);
  const r = await conn.call(
    op,
    options,
    (a) =>
      a
        .client(Maintenance)
        .alarm({ action: AlarmRequest_AlarmAction.DEACTIVATE, memberID: id, alarm: type }, a.options),
    { idempotent: true },
  );
  return r.alarms.map(toAlarm).filter((x) => x !== undefined);
}

/** Disarms every alarm raised (as `etcdctl alarm disarm` does); returns those disarmed. */
export async function alarmDisarmAll(conn: Connection, options?: CallOptions): Promise<EtcdAlarm[]> {
  const disarmed: EtcdAlarm[] = [];
  for (const a of await alarmList(conn, options))
    disarmed.push(...(await alarmDisarm(conn, a.memberId, a.alarm, options)));
  return disarmed;
}

/** Defragments the database of the member at `endpoint` (it blocks that member's other work meanwhile). */
export async function defragment(conn: Connection, endpoint: string, options?: CallOptions): Promise<void> {
  await conn.callAt(
    `defragment ${endpoint}`,
    endpoint,
    options,
    (a) => a.client(Maintenance).defragment({}, a.options),
    { timeoutMs: DEFRAGMENT_TIMEOUT_MS },
  );
}

/**
 * Transfers leadership to the member `targetId`. etcd takes this only from the leader: the lib asks
 * the current endpoint who leads and sends the request to the leader's client URLs.
 */
export async function moveLeader(
  conn: Connection,
  targetId: bigint | string,
  options?: CallOptions,
): Promise<void> {
  const op0 = "moveLeader";
  const target = parseMemberId(op0, targetId);
  const op = `${op0} ${formatMemberId(target)}`;
  const [current, members] = await Promise.all([status(conn, undefined, options), memberList(conn, options)]);
  if (current.leader === 0n)
    throw new EtcdError("Unavailable", op, `etcd at ${current.endpoint} knows no leader`, {
      reason: "NoLeader",
    });
  if (current.leader === target) return;
  const leader = members.find((m) => m.id === current.leader);
  if (!leader || leader.clientUrls.length === 0)
    throw new EtcdError("Unavailable", op, `the leader ${formatMemberId(current.leader)} has no client URL`, {
      reason: "NoLeader",
    });
  let last: unknown;
  for (const url of leader.clientUrls) {
    try {
      await conn.callAt(op, url, options, (a) =>
        a.client(Maintenance).moveLeader({ targetID: target }, a.options),
      );
      return;
    } catch (e) {
      if (!(e instanceof EtcdError) || e.code !== "Unavailable") throw e;
      last = e;
    }
  }
  throw last;
}

/** The hash of the KV store of the member at `endpoint` up to `revision` (0: the latest). */
export async function hashKV(
  conn: Connection,
  endpoint: string,
  revision = 0,
  options?: CallOptions,
): Promise<EtcdHashKV> {
  return conn.callAt(`hashKV ${endpoint}`, endpoint, options, async (a) => {
    const r = await a.client(Maintenance).hashKV({ revision: BigInt(revision) }, a.options);
    return {
      memberId: r.header?.memberId ?? 0n,
      hash: r.hash,
      compactRevision: toNumber(r.compactRevision),
      revision: toNumber(r.header?.revision ?? 0n),
    };
  });
}
