import type { EventsResponse } from "@bronze/api";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import type { ServiceEvent } from "../../supervisor/service-state.ts";
import type { Supervisor } from "../../supervisor/supervisor.ts";
import { requireServiceId } from "../caller-input.ts";
import type { HandlerOptions, MachineServiceImpl } from "./handler-types.ts";

function toReply(e: ServiceEvent): Omit<EventsResponse, "$typeName"> {
  return {
    seq: BigInt(e.seq),
    service: e.service,
    state: e.state,
    message: e.message,
    time: timestampFromMs(e.time),
    ...(e.healthy === undefined ? {} : { healthy: e.healthy }),
  };
}

export function eventHandlers(
  supervisor: Supervisor,
  options: HandlerOptions,
): Pick<MachineServiceImpl, "events"> {
  return {
    async *events(req, ctx: HandlerContext) {
      const n = req.tailEvents < 0 ? Number.POSITIVE_INFINITY : req.tailEvents;
      const service = req.service === "" ? undefined : requireServiceId(req.service, "Events");
      const past = n === 0 ? [] : supervisor.events.tail(n, service);
      if (!req.follow) {
        for (const e of past) yield toReply(e);
        return;
      }
      const done = new AbortController();
      const signal = AbortSignal.any([ctx.signal, options.shutdown, done.signal]);
      const live = supervisor.events.follow({ tail: 0, signal });
      // Subscribe now, in the same synchronous step as the snapshot above: nothing falls in between.
      const first = live.next();
      try {
        for (const e of past) yield toReply(e);
        for (let r = await first; r.done !== true; r = await live.next()) {
          if (service === undefined || r.value.service === service) yield toReply(r.value);
        }
      } finally {
        // Wakes the follower if it waits for an event, so that it unsubscribes.
        done.abort();
        await live.return(undefined);
      }
    },
  };
}
