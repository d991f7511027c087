import { expect, test } from "bun:test";
import { MAX_CHUNK_BYTES, rechunk } from "./chunks.ts";

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of it) out.push(c);
  return out;
}

test("splits into pieces of at most the limit, preserving bytes and order", async () => {
  const data = Uint8Array.from({ length: 2 * MAX_CHUNK_BYTES + 10 }, (_, i) => i % 251);
  const pieces = await collect(rechunk(data));
  expect(pieces.map((p) => p.length)).toEqual([MAX_CHUNK_BYTES, MAX_CHUNK_BYTES, 10]);
  expect(Buffer.concat(pieces).equals(Buffer.from(data))).toBe(true);
});

test("re-chunks every piece of an async source; empty pieces vanish", async () => {
  async function* src() {
    yield new Uint8Array(5);
    yield new Uint8Array(0);
    yield new Uint8Array(7);
  }
  expect((await collect(rechunk(src(), 4))).map((p) => p.length)).toEqual([4, 1, 4, 3]);
  await expect(collect(rechunk(new Uint8Array(1), 0))).rejects.toThrow("chunk size must be positive");
});
