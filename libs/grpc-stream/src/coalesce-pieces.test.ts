import { expect, test } from "bun:test";
import { coalescePieces } from "./coalesce-pieces.ts";

async function* from(pieces: number[]) {
  let n = 0;
  for (const size of pieces) {
    yield Uint8Array.from({ length: size }, () => n++ & 0xff);
  }
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const p of source) out.push(p);
  return out;
}

test("pieces are gathered into ones of the size asked, the last one shorter, the bytes in order", async () => {
  const out = await collect(coalescePieces(from([3, 0, 10, 1, 7, 2]), 8));
  expect(out.map((p) => p.length)).toEqual([8, 8, 7]);
  const all = out.flatMap((p) => [...p]);
  expect(all).toEqual(Array.from({ length: 23 }, (_, i) => i));
});

test("an empty stream gives nothing; a size that is not positive is refused", async () => {
  expect(await collect(coalescePieces(from([]), 8))).toEqual([]);
  await expect(collect(coalescePieces(from([1]), 0))).rejects.toThrow("bytes must be positive");
});
