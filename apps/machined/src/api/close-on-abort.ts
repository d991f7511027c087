import type { HandlerContext } from "@connectrpc/connect";

type StreamHandler<I, O> = (req: I, ctx: HandlerContext) => AsyncIterable<O>;

/**
 * Connect aborts a streaming handler's signal when the caller goes away, but leaves the handler's
 * generator suspended at its `yield` forever: its `finally` blocks (unsubscribing from a log, closing
 * /dev/kmsg) would never run. This ends the generator on abort (at once when suspended at a yield,
 * at its next yield otherwise).
 */
export function closeOnAbort<I, O>(handler: StreamHandler<I, O>, also?: AbortSignal): StreamHandler<I, O> {
  return (req, ctx) => {
    const iterator = handler(req, ctx)[Symbol.asyncIterator]();
    const signal = also === undefined ? ctx.signal : AbortSignal.any([ctx.signal, also]);
    const end = () => {
      iterator.return?.(undefined).catch(() => {});
    };
    if (signal.aborted) end();
    else signal.addEventListener("abort", end, { once: true });
    return { [Symbol.asyncIterator]: () => iterator };
  };
}
