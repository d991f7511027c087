// Re-chunking of byte streams: Bun's HTTP/2 client stalls on streamed gRPC messages larger than
// ~64 KiB towards grpc-go (docs/design.md §8), so everything streamed to containerd is cut to at most that.
export const MAX_CHUNK_BYTES = 64 * 1024;

export type ByteSource = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Yields the bytes of `source` in pieces of at most `max` bytes (views, no copies). */
export async function* rechunk(
  source: ByteSource,
  max: number = MAX_CHUNK_BYTES,
): AsyncGenerator<Uint8Array> {
  if (max <= 0) throw new RangeError(`chunk size must be positive, got ${max}`);
  const pieces = source instanceof Uint8Array ? [source] : source;
  for await (const piece of pieces) {
    for (let off = 0; off < piece.length; off += max)
      yield piece.subarray(off, Math.min(piece.length, off + max));
  }
}
