import type { KernelMessage } from "@bronze/api";
import type { Clock } from "../../clock.ts";
import { toConnectError } from "../api-errors.ts";
import { parseKmsgRecord } from "../kmsg/kmsg-record.ts";
import type { KmsgReader, KmsgSource } from "../kmsg/kmsg-source.ts";
import type { HandlerOptions, MachineServiceImpl } from "./handler-types.ts";

/** Most records per message when draining the kernel buffer. */
export const DMESG_BATCH = 256;
/** About the most text per message (DESIGN.md §8: Bun's HTTP/2 stalls on messages over ~64 KiB). */
export const DMESG_BATCH_BYTES = 32 * 1024;
/** How often a follower looks for new records (/dev/kmsg is read non-blocking). */
export const DMESG_POLL_MS = 250;

type Message = Omit<KernelMessage, "$typeName">;

/** Records available now, parsed (malformed ones skipped), up to `max` of them or about `maxBytes`. */
function drain(
  reader: KmsgReader,
  max = Number.POSITIVE_INFINITY,
  maxBytes = Number.POSITIVE_INFINITY,
): Message[] {
  const out: Message[] = [];
  let bytes = 0;
  while (out.length < max && bytes < maxBytes) {
    const record = reader.read();
    if (record === undefined) break;
    const parsed = parseKmsgRecord(record);
    if (parsed === undefined) continue;
    out.push(parsed);
    bytes += parsed.message.length;
  }
  return out;
}

export function dmesgHandlers(
  kmsg: KmsgSource,
  clock: Clock,
  options: HandlerOptions,
): Pick<MachineServiceImpl, "dmesg"> {
  return {
    async *dmesg(req, ctx) {
      let reader: KmsgReader;
      try {
        reader = kmsg.open();
      } catch (error) {
        throw toConnectError(error, "opening the kernel log");
      }
      const signal = AbortSignal.any([ctx.signal, options.shutdown]);
      try {
        // With tail, skip what the kernel buffer holds already: only new messages.
        if (req.tail) drain(reader);
        for (;;) {
          const next = () => drain(reader, DMESG_BATCH, DMESG_BATCH_BYTES);
          for (let batch = next(); batch.length > 0; batch = next()) {
            yield { messages: batch };
          }
          if (!req.follow) return;
          if (!(await clock.sleep(DMESG_POLL_MS, signal))) return;
        }
      } catch (error) {
        throw toConnectError(error, "reading the kernel log");
      } finally {
        reader.close();
      }
    },
  };
}
