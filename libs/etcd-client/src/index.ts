// @bronze/etcd-client: a typed client for etcd's v3 gRPC API (etcd 3.4, as Debian ships it).
// Generated protobuf types stay inside the lib; everything exported here is a domain type.
export { type ConnectOptions, EtcdClient } from "./client.ts";
export type { MemberAddOptions, MemberAddResult } from "./cluster.ts";
export { type CallOptions, DEFAULT_TIMEOUT_MS, type EtcdTls } from "./connection.ts";
export {
  type EtcdAlarm,
  type EtcdAlarmType,
  type EtcdHashKV,
  type EtcdMember,
  type EtcdStatus,
  formatMemberId,
} from "./convert.ts";
export { EtcdError, type EtcdErrorCode, type EtcdErrorReason, isEtcdError } from "./errors.ts";
export type { EtcdKey } from "./kv.ts";
export { DEFRAGMENT_TIMEOUT_MS } from "./maintenance.ts";
export type { SnapshotOptions } from "./snapshot.ts";
