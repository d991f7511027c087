import { LOGS_CHUNK_BYTES } from "@bronze/api";
import type { HandlerContext } from "@connectrpc/connect";
import type { LogBuffer, LogLine } from "../../supervisor/logs/log-buffer.ts";
import type { Supervisor } from "../../supervisor/supervisor.ts";
import { toConnectError } from "../api-errors.ts";
import { requireServiceId } from "../caller-input.ts";
import type { HandlerOptions, MachineServiceImpl } from "./handler-types.ts";

/** How long new lines are gathered before they go out when following (a chatty service, fewer messages). */
export const FOLLOW_DELAY_MS = 5;
/**
 * Most bytes of new lines queued for a follower that does not read (its HTTP/2 stream is full, so the
 * handler stops taking lines): past it the oldest are dropped, and the reader is told how many.
 */
export const FOLLOW_QUEUE_BYTES = 512 * 1024;

/** A line as machined writes it to /var/log/<id>.log: machined's own lines are marked. */
export function logText(line: LogLine): string {
  return line.stream === "system" ? `[machined] ${line.text}\n` : `${line.text}\n`;
}

/**
 * The lines as LogsResponse data: whole lines, at most `maxBytes` of UTF-8 per chunk (a longer line
 * alone), oldest first.
 */
export function* logChunks(lines: readonly LogLine[], maxBytes = LOGS_CHUNK_BYTES): Generator<Uint8Array> {
  let text = "";
  let bytes = 0;
  for (const line of lines) {
    const next = logText(line);
    const size = Buffer.byteLength(next);
    if (bytes > 0 && bytes + size > maxBytes) {
      const chunk = Buffer.from(text);
      // not kept while suspended: a stalled stream holds one chunk, not two copies of it
      text = "";
      bytes = 0;
      yield chunk;
    }
    text += next;
    bytes += size;
  }
  if (bytes > 0) yield Buffer.from(text);
}

/** tail_lines: negative means all kept lines; 0 means all without follow and none with it. */
export function tailCount(tailLines: number, follow: boolean): number {
  if (tailLines < 0) return Number.POSITIVE_INFINITY;
  if (tailLines === 0) return follow ? 0 : Number.POSITIVE_INFINITY;
  return tailLines;
}

export function logHandlers(
  supervisor: Supervisor,
  options: HandlerOptions,
): Pick<MachineServiceImpl, "logs"> {
  return {
    async *logs(req, ctx: HandlerContext) {
      const id = requireServiceId(req.id, "Logs");
      let buffer: LogBuffer;
      try {
        buffer = supervisor.logs(id);
      } catch (error) {
        throw toConnectError(error, `reading the logs of ${id}`);
      }
      const tail = tailCount(req.tailLines, req.follow);
      if (!req.follow) {
        for (const data of logChunks(buffer.tail(tail))) yield { data };
        return;
      }
      const signal = AbortSignal.any([ctx.signal, options.shutdown]);
      // followBatches() snapshots the tail and subscribes in one synchronous step (the loop's first
      // next()), so no line is lost or repeated between the two; new lines go out gathered for a few ms.
      const initial = Math.min(tail, buffer.length);
      for await (const batch of buffer.followBatches({
        tail,
        signal,
        maxQueue: initial + 1000,
        maxQueueBytes: FOLLOW_QUEUE_BYTES,
        delayMs: FOLLOW_DELAY_MS,
      })) {
        for (const data of logChunks(batch)) yield { data };
      }
    },
  };
}
