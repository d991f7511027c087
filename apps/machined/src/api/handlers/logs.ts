import type { LogsResponse } from "@bronze/api";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { LogBuffer, LogLine } from "../../services/log-buffer.ts";
import type { Supervisor } from "../../services/supervisor.ts";
import { toConnectError } from "../api-errors.ts";
import type { HandlerOptions, MachineServiceImpl } from "./handler-types.ts";

/** Most lines per message when sending what is already in the buffer. */
export const LOG_BATCH = 500;
/**
 * Most text per message (about): DESIGN.md §8, Bun's HTTP/2 stalls on streamed messages larger than
 * ~64 KiB, and apid relays these messages with Bun.
 */
export const LOG_BATCH_BYTES = 32 * 1024;

/** Splits lines into batches of at most LOG_BATCH lines and about LOG_BATCH_BYTES of text. */
export function* batches(lines: readonly LogLine[]): Generator<LogLine[]> {
  let batch: LogLine[] = [];
  let bytes = 0;
  for (const line of lines) {
    if (batch.length > 0 && (batch.length === LOG_BATCH || bytes + line.text.length > LOG_BATCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(line);
    bytes += line.text.length;
  }
  if (batch.length > 0) yield batch;
}

type Reply = Omit<LogsResponse, "$typeName">;

function toReply(lines: readonly LogLine[]): Reply {
  return {
    lines: lines.map((l) => ({
      $typeName: "bronze.machine.v1.LogLine" as const,
      time: timestampFromMs(l.time),
      stream: l.stream,
      text: l.text,
    })),
  };
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
      if (req.id === "") throw new ConnectError("Logs: the service id is required", Code.InvalidArgument);
      let buffer: LogBuffer;
      try {
        buffer = supervisor.logs(req.id);
      } catch (error) {
        throw toConnectError(error, `reading the logs of ${req.id}`);
      }
      const tail = tailCount(req.tailLines, req.follow);
      if (!req.follow) {
        for (const batch of batches(buffer.tail(tail))) yield toReply(batch);
        return;
      }
      const signal = AbortSignal.any([ctx.signal, options.shutdown]);
      // follow() snapshots the tail and subscribes in one synchronous step (the loop's first next()),
      // so no line is lost or repeated between the two; the tail lines go out in batches.
      let initial = Math.min(tail, buffer.length);
      let pending: LogLine[] = [];
      for await (const line of buffer.follow({ tail, signal, maxQueue: initial + 1000 })) {
        if (initial > 0) {
          pending.push(line);
          initial--;
          if (initial === 0) {
            for (const batch of batches(pending)) yield toReply(batch);
            pending = [];
          }
          continue;
        }
        yield toReply([line]);
      }
    },
  };
}
