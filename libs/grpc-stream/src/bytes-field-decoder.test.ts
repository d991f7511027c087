import { expect, test } from "bun:test";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { BytesFieldDecoder, GrpcStreamError } from "./bytes-field-decoder.ts";

/** etcd's SnapshotResponse shape: a header message (1), remaining_bytes (2), blob (3); plus fixed fields. */
function message(remaining: bigint, blob: Uint8Array, extra = false): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, 2).bytes(new Uint8Array([8, 150, 1, 16, 3])); // a small header submessage, skipped
  if (extra) w.tag(4, 1).fixed64(7n).tag(5, 5).fixed32(9).tag(6, 2).string("skipped");
  if (remaining !== 0n) w.tag(2, 0).uint64(remaining);
  w.tag(3, 2).bytes(blob);
  return w.finish();
}

function envelope(msg: Uint8Array, flags = 0): Uint8Array {
  const out = new Uint8Array(5 + msg.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, msg.length);
  out.set(msg, 5);
  return out;
}

const concat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

function blob(size: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);
}

function decode(stream: Uint8Array, splits: number[], field = 3) {
  const pieces: Uint8Array[] = [];
  const messages: bigint[] = [];
  const chunks: Uint8Array[] = [];
  const d = new BytesFieldDecoder(field, {
    onBytes: (p) => pieces.push(p.slice()),
    onMessage: (v) => messages.push(v.get(2) ?? 0n),
  });
  let at = 0;
  for (const s of [...splits, stream.length]) {
    const chunk = stream.slice(at, s);
    chunks.push(chunk);
    d.push(chunk);
    at = s;
  }
  d.end();
  return { bytes: concat(pieces), messages, pieces };
}

const blobs = [blob(1000, 1), blob(0, 2), blob(300, 3), blob(5, 4)];
const stream = concat([
  envelope(message(305n, blobs[0] as Uint8Array, true)),
  envelope(new Uint8Array(0)), // an empty message
  envelope(message(5n, blobs[2] as Uint8Array)),
  envelope(message(0n, blobs[3] as Uint8Array)),
]);

test("the blobs come out in order, whatever the chunks, and each message's varints with its end", () => {
  const whole = concat(blobs);
  // in one chunk, one byte at a time, and split at every offset in two
  const cases: number[][] = [[], Array.from({ length: stream.length - 1 }, (_, i) => i + 1)];
  for (let i = 1; i < stream.length; i++) cases.push([i]);
  for (const splits of cases) {
    const out = decode(stream, splits);
    expect(out.bytes).toEqual(whole);
    expect(out.messages).toEqual([305n, 0n, 5n, 0n]);
  }
});

test("pieces are views of the chunk pushed, not copies", () => {
  const chunk = envelope(message(0n, blob(100, 9)));
  const seen: Uint8Array[] = [];
  const d = new BytesFieldDecoder(3, { onBytes: (p) => seen.push(p) });
  d.push(chunk);
  expect(seen).toHaveLength(1);
  expect(seen[0]?.buffer).toBe(chunk.buffer);
  expect(seen[0]).toEqual(blob(100, 9));
});

test("another field number is skipped whole (the header's bytes never come out)", () => {
  expect(decode(stream, [7, 100], 1).bytes).toEqual(
    concat([0, 2, 3].map(() => new Uint8Array([8, 150, 1, 16, 3]))),
  );
});

function refusal(bytes: Uint8Array, end = false): string {
  const d = new BytesFieldDecoder(3, { onBytes: () => {} }, 4096);
  try {
    d.push(bytes);
    if (end) d.end();
  } catch (e) {
    expect(e).toBeInstanceOf(GrpcStreamError);
    return (e as Error).message;
  }
  throw new Error("not refused");
}

test("malformed streams are refused with what is wrong", () => {
  expect(refusal(envelope(message(0n, blob(3, 1)), 1))).toContain("compressed");
  expect(refusal(envelope(message(0n, blob(5000, 1))))).toContain("over the limit of 4096");
  const cut = envelope(message(0n, blob(50, 1)));
  expect(refusal(cut.subarray(0, cut.length - 10), true)).toContain("ended inside a message");
  // a field longer than its message
  expect(refusal(envelope(new Uint8Array([0x1a, 20, 1, 2])))).toContain("longer (20) than what is left");
  // wire type 3 (a group)
  expect(refusal(envelope(new Uint8Array([0x1b, 0])))).toContain("wire type 3");
  // a message that ends inside a varint, and one that ends after a tag
  expect(refusal(envelope(new Uint8Array([0x10, 0x80])))).toContain("inside a varint");
  expect(refusal(envelope(new Uint8Array([0x1a])))).toContain("inside one of its fields");
  expect(refusal(envelope(new Uint8Array([0x00, 1])))).toContain("invalid field tag");
});
