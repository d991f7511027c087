import { closeOnAbort as closeIterableOnAbort } from "@bronze/api";
import type { HandlerContext } from "@connectrpc/connect";

type StreamHandler<I, O> = (req: I, ctx: HandlerContext) => AsyncIterable<O>;

/**
 * A streaming handler whose generator is ended (its `finally` run: unsubscribing from a log, closing
 * /dev/kmsg) when the call aborts, or when `also` does (the server shutting down): @bronze/api's
 * closeOnAbort, applied to each call.
 */
export function closeOnAbort<I, O>(handler: StreamHandler<I, O>, also?: AbortSignal): StreamHandler<I, O> {
  return (req, ctx) =>
    closeIterableOnAbort(
      handler(req, ctx),
      also === undefined ? ctx.signal : AbortSignal.any([ctx.signal, also]),
    );
}
