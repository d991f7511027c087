import type { KernelMessage } from "@bronze/api";
import type { Clock } from "../../clock.ts";
import { toConnectError } from "../api-errors.ts";
import { parseKmsgRecord } from "../kmsg/kmsg-record.ts";
import type { KmsgReader, KmsgSource } from "../kmsg/kmsg-source.ts";
import type { HandlerOptions, MachineServiceImpl } from "./handler-types.ts";

/** Records per message when draining the kernel buffer. */
export const DMESG_BATCH = 256;
/** How often a follower looks for new records (/dev/kmsg is read non-blocking). */
export const DMESG_POLL_MS = 250;

type Message = Omit<KernelMessage, "$typeName">;

/** Every record available now, parsed (malformed ones skipped). */
function drain(reader: KmsgReader, max = Number.POSITIVE_INFINITY): Message[] {
  const out: Message[] = [];
  while (out.length < max) {
    const record = reader.read();
    if (record === undefined) break;
    const parsed = parseKmsgRecord(record);
    if (parsed !== undefined) out.push(parsed);
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
          for (let batch = drain(reader, DMESG_BATCH); batch.length > 0; batch = drain(reader, DMESG_BATCH)) {
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
