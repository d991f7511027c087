// Small pieces of a byte stream gathered into larger ones. A stream read raw comes in the pieces
// HTTP/2 delivered (16 KiB or less); sent on as they are, each costs a message of its own in the next
// hop (its encoding, its envelope, its frames), which is most of the CPU a relay spends. One copy into
// a piece of `bytes` costs far less.

/** The stream's bytes in pieces of exactly `bytes` (the last one shorter), in order. */
export async function* coalescePieces(
  source: AsyncIterable<Uint8Array>,
  bytes: number,
): AsyncGenerator<Uint8Array> {
  if (!(bytes > 0)) throw new RangeError(`coalescePieces: bytes must be positive, got ${bytes}`);
  let buffer = new Uint8Array(bytes);
  let filled = 0;
  for await (let piece of source) {
    while (piece.length > 0) {
      const take = Math.min(bytes - filled, piece.length);
      buffer.set(piece.subarray(0, take), filled);
      filled += take;
      piece = piece.subarray(take);
      if (filled === bytes) {
        yield buffer;
        buffer = new Uint8Array(bytes);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield buffer.subarray(0, filled);
}
