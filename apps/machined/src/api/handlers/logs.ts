import type { LogsResponse } from "@bronze/api";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { LogBuffer, LogLine } from "../../services/log-buffer.ts";
import type { Supervisor } from "../../services/supervisor.ts";
import { toConnectError } from "../api-errors.ts";
import type { HandlerOptions, MachineServiceImpl } from "./handler-types.ts";

/** Lines per message when sending what is already in the buffer. */
export const LOG_BATCH = 500;

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
        const lines = buffer.tail(tail);
        for (let i = 0; i < lines.length; i += LOG_BATCH) yield toReply(lines.slice(i, i + LOG_BATCH));
        return;
      }
      const signal = AbortSignal.any([ctx.signal, options.shutdown]);
      // follow() snapshots the tail and subscribes in one synchronous step (the loop's first next()),
      // so no line is lost or repeated between the two; the tail lines go out in batches.
      let initial = Math.min(tail, buffer.length);
      let batch: LogLine[] = [];
      for await (const line of buffer.follow({ tail, signal, maxQueue: initial + 1000 })) {
        if (initial > 0) {
          batch.push(line);
          initial--;
          if (batch.length === LOG_BATCH || initial === 0) {
            yield toReply(batch);
            batch = [];
          }
          continue;
        }
        yield toReply([line]);
      }
    },
  };
}
