// Keys and values: put, get and delete of single keys (strings as UTF-8, or bytes). Reads are
// linearizable (served through the leader); every operation is safe to send to another member
// when one is unavailable.

import type { CallOptions, Connection } from "./connection.ts";
import { describeKey, toBytes } from "./convert.ts";
import { EtcdError } from "./errors.ts";
import { KV } from "./gen/etcd/etcdserver/etcdserverpb/rpc_pb.ts";

export type EtcdKey = string | Uint8Array;

function keyBytes(op: string, key: EtcdKey): Uint8Array {
  const bytes = toBytes(key);
  if (bytes.length === 0) throw new EtcdError("InvalidArgument", op, "the key is empty");
  return bytes;
}

export async function put(
  conn: Connection,
  key: EtcdKey,
  value: string | Uint8Array,
  options?: CallOptions,
): Promise<void> {
  const op = `put ${describeKey(key)}`;
  const k = keyBytes(op, key);
  await conn.call(op, options, (a) => a.client(KV).put({ key: k, value: toBytes(value) }, a.options), {
    idempotent: true,
  });
}

/** The value of `key`, or undefined when there is none. */
export async function get(
  conn: Connection,
  key: EtcdKey,
  options?: CallOptions,
): Promise<Uint8Array | undefined> {
  const op = `get ${describeKey(key)}`;
  const k = keyBytes(op, key);
  const r = await conn.call(op, options, (a) => a.client(KV).range({ key: k, limit: 1n }, a.options), {
    idempotent: true,
  });
  return r.kvs[0]?.value;
}

/** Deletes `key`; true when there was one. */
export async function del(conn: Connection, key: EtcdKey, options?: CallOptions): Promise<boolean> {
  const op = `delete ${describeKey(key)}`;
  const k = keyBytes(op, key);
  const r = await conn.call(op, options, (a) => a.client(KV).deleteRange({ key: k }, a.options), {
    idempotent: true,
  });
  return r.deleted > 0n;
}
