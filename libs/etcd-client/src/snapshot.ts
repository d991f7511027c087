// A snapshot of the database, streamed (Maintenance.Snapshot): the database file in pieces of 32 KiB
// followed by its SHA-256 (32 bytes), which is what `etcdctl snapshot save` writes and what
// `etcdctl snapshot restore` checks. Open-ended unless given a deadline or a signal. The stream is
// read raw (@bronze/grpc-stream): the blobs come as views of the HTTP/2 chunks, with no message
// assembled or decoded, which halves the CPU a snapshot costs its reader.

import { callBytesStream } from "@bronze/grpc-stream";
import type { Attempt, CallOptions, Connection } from "./connection.ts";
import { EtcdError, toEtcdError } from "./errors.ts";
import { Maintenance } from "./gen/etcd/etcdserver/etcdserverpb/rpc_pb.ts";

const SNAPSHOT_PATH = `/${Maintenance.typeName}/${Maintenance.method.snapshot.name}`;
/** SnapshotResponse's fields: remaining_bytes (a varint) and blob (bytes). */
const REMAINING_BYTES = 2;
const BLOB = 3;

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

  /** A piece of a message's blob. */
  piece(blob: Uint8Array): void {
    this.bytes += blob.length;
  }

  /** The end of a message, with the bytes etcd says are still to come. */
  message(remainingBytes: bigint): void {
    this.remaining = remainingBytes;
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
      const progress = new SnapshotProgress();
      const open = async (a: Attempt) => {
        const stream = callBytesStream({
          sessions: a.sessions,
          path: SNAPSHOT_PATH,
          request: new Uint8Array(0), // SnapshotRequest has no fields
          field: BLOB,
          timeoutMs: a.options.timeoutMs,
          signal: a.options.signal,
          onMessage: (varints) => progress.message(varints.get(REMAINING_BYTES) ?? 0n),
        });
        // The first piece proves the member answers (else the next endpoint is tried).
        return { stream, first: await stream.next(), endpoint: a.endpoint };
      };
      const { stream, first, endpoint } =
        options.endpoint === undefined
          ? await conn.call(op, call, open, { idempotent: true })
          : await conn.callAt(op, options.endpoint, call, open);
      try {
        let next = first;
        while (!next.done) {
          progress.piece(next.value);
          if (next.value.length > 0) yield next.value;
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
        await stream.return(undefined);
      }
    },
  };
}
