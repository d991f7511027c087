// Conversions between the generated messages and the lib's domain types: member ids (uint64, shown
// in hex as etcdctl shows them), keys and values (strings or bytes), members, status and alarms.

import { EtcdError } from "./errors.ts";
import type { AlarmMember, Member, StatusResponse } from "./gen/etcd/etcdserver/etcdserverpb/rpc_pb.ts";
import { AlarmType } from "./gen/etcd/etcdserver/etcdserverpb/rpc_pb.ts";

export interface EtcdMember {
  /** etcd's member id (uint64). */
  id: bigint;
  /** The id in hex, as etcdctl prints it (`8e9e05c52164694d`). */
  idHex: string;
  /** Empty for a member added but not started yet. */
  name: string;
  peerUrls: string[];
  /** Empty for a member added but not started yet. */
  clientUrls: string[];
  isLearner: boolean;
}

export interface EtcdStatus {
  /** The endpoint that answered. */
  endpoint: string;
  /** The answering member's id. */
  memberId: bigint;
  /** The member the answering one believes is leader (0n: none). */
  leader: bigint;
  /** etcd's version (`3.4.23`). */
  version: string;
  /** Bytes of the database file. */
  dbSize: number;
  /** Bytes of the database in use (the rest is freed by defragment). */
  dbSizeInUse: number;
  raftIndex: number;
  raftAppliedIndex: number;
  raftTerm: number;
  isLearner: boolean;
  /** Alarm and health messages the member reports. */
  errors: string[];
}

export type EtcdAlarmType = "NOSPACE" | "CORRUPT";

export interface EtcdAlarm {
  memberId: bigint;
  alarm: EtcdAlarmType;
}

export interface EtcdHashKV {
  /** The answering member's id. */
  memberId: bigint;
  hash: number;
  compactRevision: number;
  /** The revision the hash covers. */
  revision: number;
}

const UINT64_MAX = (1n << 64n) - 1n;

/** A member id as etcdctl prints it: lowercase hex, no leading zeros. */
export function formatMemberId(id: bigint): string {
  return id.toString(16);
}

/** A member id from a bigint or its hex form (`8e9e05c52164694d`, with or without `0x`). */
export function parseMemberId(op: string, id: bigint | string): bigint {
  let value: bigint;
  if (typeof id === "bigint") value = id;
  else {
    const hex = id.trim().replace(/^0x/i, "");
    if (!/^[0-9a-f]{1,16}$/i.test(hex))
      throw new EtcdError("InvalidArgument", op, `member id ${JSON.stringify(id)} is not a hex uint64`);
    value = BigInt(`0x${hex}`);
  }
  if (value <= 0n || value > UINT64_MAX)
    throw new EtcdError("InvalidArgument", op, `member id ${id} is not a non-zero uint64`);
  return value;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Keys and values: strings are sent as UTF-8. */
export function toBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === "string" ? encoder.encode(value) : value;
}

export function toText(value: Uint8Array): string {
  return decoder.decode(value);
}

/** How a key is named in an operation (`put "a/b"`); binary keys in hex. */
export function describeKey(key: string | Uint8Array): string {
  if (typeof key === "string") return JSON.stringify(key);
  return `0x${Buffer.from(key).toString("hex")}`;
}

/** A count etcd sends as int64/uint64, as a number (sizes and raft indices stay far below 2^53). */
export function toNumber(value: bigint): number {
  return Number(value);
}

export function toMember(m: Member): EtcdMember {
  return {
    id: m.ID,
    idHex: formatMemberId(m.ID),
    name: m.name,
    peerUrls: [...m.peerURLs],
    clientUrls: [...m.clientURLs],
    isLearner: m.isLearner,
  };
}

export function toStatus(endpoint: string, s: StatusResponse): EtcdStatus {
  return {
    endpoint,
    memberId: s.header?.memberId ?? 0n,
    leader: s.leader,
    version: s.version,
    dbSize: toNumber(s.dbSize),
    dbSizeInUse: toNumber(s.dbSizeInUse),
    raftIndex: toNumber(s.raftIndex),
    raftAppliedIndex: toNumber(s.raftAppliedIndex),
    raftTerm: toNumber(s.raftTerm),
    isLearner: s.isLearner,
    errors: [...s.errors],
  };
}

const ALARMS: Record<EtcdAlarmType, AlarmType> = { NOSPACE: AlarmType.NOSPACE, CORRUPT: AlarmType.CORRUPT };

export function toAlarmType(op: string, alarm: EtcdAlarmType): AlarmType {
  const value = ALARMS[alarm];
  if (value === undefined)
    throw new EtcdError("InvalidArgument", op, `unknown alarm ${JSON.stringify(alarm)}`);
  return value;
}

/** An alarm as etcd lists it; NONE (never listed) is dropped. */
export function toAlarm(a: AlarmMember): EtcdAlarm | undefined {
  if (a.alarm === AlarmType.NOSPACE) return { memberId: a.memberID, alarm: "NOSPACE" };
  if (a.alarm === AlarmType.CORRUPT) return { memberId: a.memberID, alarm: "CORRUPT" };
  return undefined;
}
