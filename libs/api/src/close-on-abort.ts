/**
 * Connect aborts a streaming handler's signal when the caller goes away, but never ends the iterable
 * the handler returned: a generator suspended at its `yield` would stay there for good, its `finally`
 * (unsubscribing from a log, closing a file, cancelling an upstream call) never run. This ends the
 * iterator on abort (at once when suspended at a yield, at its next step otherwise). Used by machined's
 * streaming handlers and apid's pass-through.
 */
export function closeOnAbort<T>(iterable: AsyncIterable<T>, signal: AbortSignal): AsyncIterable<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  const end = () => {
    iterator.return?.(undefined).catch(() => {});
  };
  if (signal.aborted) end();
  else signal.addEventListener("abort", end, { once: true });
  return { [Symbol.asyncIterator]: () => iterator };
}
