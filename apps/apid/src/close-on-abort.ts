/**
 * Connect aborts a streaming handler's signal when the caller goes away, but never ends the iterable
 * the handler returned: a pass-through would stay suspended, holding its upstream call. This ends the
 * iterator on abort (at once when suspended at a yield, at its next step otherwise).
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
