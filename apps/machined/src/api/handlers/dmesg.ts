import type { KernelMessage } from "@bronze/api";
import type { Clock } from "../../clock.ts";
import { toConnectError } from "../api-errors.ts";
import { isDropMarker, KmsgFanout } from "../kmsg/kmsg-fanout.ts";
import { type KmsgRecord, readRecords } from "../kmsg/kmsg-record.ts";
import type { KmsgReader, KmsgSource } from "../kmsg/kmsg-source.ts";
import type { HandlerOptions, MachineServiceImpl } from "./handler-types.ts";

/** Most records per message when draining the kernel buffer. */
export const DMESG_BATCH = 256;
/** About the most text per message (docs/design.md §8: Bun's HTTP/2 stalls on messages over ~64 KiB). */
export const DMESG_BATCH_BYTES = 32 * 1024;
/** How often the followers' shared reader looks for new records (/dev/kmsg is read non-blocking). */
export const DMESG_POLL_MS = 250;
/** Most records queued for a follower that does not read (a kernel record is at most ~1 KiB of text). */
export const DMESG_FOLLOW_QUEUE = 1024;
export const DMESG_FOLLOW_QUEUE_BYTES = 256 * 1024;

type Message = Omit<KernelMessage, "$typeName">;

/** `records` as messages of at most DMESG_BATCH records or about DMESG_BATCH_BYTES of text. */
function* batches(records: readonly KmsgRecord[]): Generator<Message[]> {
  let batch: Message[] = [];
  let bytes = 0;
  for (const record of records) {
    batch.push(record);
    bytes += record.message.length;
    if (batch.length >= DMESG_BATCH || bytes >= DMESG_BATCH_BYTES) {
      yield batch;
      batch = [];
      bytes = 0;
    }
  }
  if (batch.length > 0) yield batch;
}

/** What the kernel log holds now, from its start, in messages; the last sequence number seen. */
async function* dump(kmsg: KmsgSource, seen: { last: bigint }): AsyncGenerator<Message[]> {
  let reader: KmsgReader;
  try {
    reader = kmsg.open();
  } catch (error) {
    throw toConnectError(error, "opening the kernel log");
  }
  try {
    const next = () => readRecords(reader, DMESG_BATCH, DMESG_BATCH_BYTES);
    for (let batch = next(); batch.length > 0; batch = next()) {
      seen.last = batch.at(-1)?.seq ?? seen.last;
      yield batch;
    }
  } finally {
    reader.close();
  }
}

/**
 * Dmesg: the kernel log from its start; with follow, then new records as they come (with tail, only
 * those). Followers share one reader of /dev/kmsg (KmsgFanout); the past is read with a reader of its
 * own, closed once read.
 */
export function dmesgHandlers(
  kmsg: KmsgSource,
  clock: Clock,
  options: HandlerOptions,
): Pick<MachineServiceImpl, "dmesg"> {
  const fanout = new KmsgFanout(kmsg, clock, {
    pollMs: DMESG_POLL_MS,
    maxQueue: DMESG_FOLLOW_QUEUE,
    maxQueueBytes: DMESG_FOLLOW_QUEUE_BYTES,
  });
  return {
    async *dmesg(req, ctx) {
      const seen = { last: -1n };
      if (!req.follow) {
        try {
          for await (const batch of dump(kmsg, seen)) yield { messages: batch };
        } catch (error) {
          throw toConnectError(error, "reading the kernel log");
        }
        return;
      }
      const done = new AbortController();
      const live = fanout.follow(AbortSignal.any([ctx.signal, options.shutdown, done.signal]));
      // Subscribes now, before the past is read: a record is in the past, or comes live, or both.
      const first = live.next();
      first.catch(() => {}); // awaited below; a failure to open is reported then
      try {
        if (!req.tail) for await (const batch of dump(kmsg, seen)) yield { messages: batch };
        for (let r = await first; r.done !== true; r = await live.next()) {
          // Records the past already had come once.
          const fresh = r.value.filter((m) => isDropMarker(m) || m.seq > seen.last);
          for (const batch of batches(fresh)) yield { messages: batch };
        }
      } catch (error) {
        throw toConnectError(error, "reading the kernel log");
      } finally {
        // Wakes the follower if it waits for records, so that it leaves the fan-out.
        done.abort();
        await live.return(undefined);
      }
    },
  };
}
