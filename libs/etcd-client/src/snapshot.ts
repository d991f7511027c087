// A snapshot of the database, streamed (Maintenance.Snapshot): the database file in pieces of 32 KiB
// followed by its SHA-256 (32 bytes), which is what `etcdctl snapshot save` writes and what
// `etcdctl snapshot restore` checks. Open-ended unless given a deadline or a signal.

import type { Attempt, CallOptions, Connection } from "./connection.ts";
import { EtcdError, toEtcdError } from "./errors.ts";
import { Maintenance, type SnapshotResponse } from "./gen/etcd/etcdserver/etcdserverpb/rpc_pb.ts";

export interface SnapshotOptions extends CallOptions {
  /** Take it from this member alone (default: the current endpoint, falling over to the next ones). */
  endpoint?: string;
}

/**
 * Checks the pieces of a snapshot stream as they come: etcd says with each how many database bytes
 * are still to come; a stream that ends before they did is cut short.
 */
export class SnapshotProgress {
  private remaining: bigint | undefined;
  bytes = 0;

  add(message: Pick<SnapshotResponse, "remainingBytes" | "blob">): void {
    this.bytes += message.blob.length;
    this.remaining = message.remainingBytes;
  }

  /** Undefined when the stream was complete, else what is wrong with it. */
  problem(): string | undefined {
    if (this.remaining === undefined) return "etcd sent nothing";
    if (this.remaining > 0n) return `the stream ended ${this.remaining} bytes short of the database`;
    return undefined;
  }
}

export function snapshot(conn: Connection, options: SnapshotOptions = {}): AsyncIterable<Uint8Array> {
  const op = options.endpoint === undefined ? "snapshot" : `snapshot ${options.endpoint}`;
  return {
    async *[Symbol.asyncIterator]() {
      // Ends the stream when the consumer stops early.
      const stop = new AbortController();
      const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
      const call: CallOptions = { timeoutMs: options.timeoutMs ?? Number.POSITIVE_INFINITY, signal };
      const open = async (a: Attempt) => {
        const stream = a.client(Maintenance).snapshot({}, a.options)[Symbol.asyncIterator]();
        // The first piece proves the member answers (else the next endpoint is tried).
        return { stream, first: await stream.next(), endpoint: a.endpoint };
      };
      const { stream, first, endpoint } =
        options.endpoint === undefined
          ? await conn.call(op, call, open, { idempotent: true })
          : await conn.callAt(op, options.endpoint, call, open);
      const progress = new SnapshotProgress();
      try {
        let next = first;
        while (!next.done) {
          progress.add(next.value);
          if (next.value.blob.length > 0) yield next.value.blob;
          try {
            next = await stream.next();
          } catch (e) {
            throw toEtcdError(op, e, endpoint);
          }
        }
        const problem = progress.problem();
        if (problem) throw new EtcdError("DataLoss", op, `incomplete snapshot from ${endpoint}: ${problem}`);
      } finally {
        stop.abort();
      }
    },
  };
}
