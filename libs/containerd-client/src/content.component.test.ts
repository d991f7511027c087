import { expect, test } from "bun:test";
import { useContainerd } from "../test/fixtures.ts";
import { MAX_CHUNK_BYTES } from "./chunks.ts";
import { isContainerdError } from "./errors.ts";
import { sha256Digest } from "./image-spec.ts";

const env = useContainerd();

function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536)
    out.set(crypto.getRandomValues(new Uint8Array(Math.min(65536, n - i))), i);
  return out;
}

test("a multi-megabyte blob written in 64 KiB chunks reads back identical, in pieces of at most 64 KiB", async () => {
  const data = random(3 * 1024 * 1024 + 123);
  const digest = sha256Digest(data);
  await env.client.leases.with(async (lease) => {
    const res = await env.client.content.write(data, {
      expected: digest,
      size: data.length,
      lease,
      labels: { "containerd.io/gc.root": "test" },
    });
    expect(res).toEqual({ digest, size: data.length, existed: false });
  });
  const info = await env.client.content.info(digest);
  expect(info.size).toBe(data.length);
  expect(info.labels["containerd.io/gc.root"]).toBe("test");
  let max = 0;
  const pieces: Uint8Array[] = [];
  for await (const p of env.client.content.read(digest)) {
    max = Math.max(max, p.length);
    pieces.push(p.slice());
  }
  expect(max).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
  expect(Buffer.concat(pieces).equals(Buffer.from(data))).toBe(true);
  expect(Buffer.from(await env.client.content.readAll(digest)).equals(Buffer.from(data))).toBe(true);
  // a range
  const part = await Array.fromAsync(env.client.content.read(digest, { offset: 10, size: 5 }));
  expect(Buffer.concat(part).equals(Buffer.from(data.subarray(10, 15)))).toBe(true);
  await env.client.content.remove(digest);
  expect(await env.client.content.has(digest)).toBe(false);
});

test("writing a blob containerd has already reports existed without uploading; labels update", async () => {
  const data = new TextEncoder().encode("hello content");
  const digest = sha256Digest(data);
  await env.client.content.write(data, { expected: digest, labels: { "containerd.io/gc.root": "x" } });
  const again = await env.client.content.write(data, { expected: digest });
  expect(again).toEqual({ digest, size: data.length, existed: true });
  // without an expected digest the lib hashes locally and still names the blob
  expect(await env.client.content.write(data)).toEqual({ digest, size: data.length, existed: true });
  // (the gc.root label stays: without it the blob is garbage and may be collected at any moment)
  const info = await env.client.content.setLabels(digest, { a: "1", b: "2" });
  expect(info.labels).toEqual({ "containerd.io/gc.root": "x", a: "1", b: "2" });
  expect((await env.client.content.setLabels(digest, { a: undefined })).labels).toEqual({
    "containerd.io/gc.root": "x",
    b: "2",
  });
  expect((await env.client.content.list()).map((i) => i.digest)).toContain(digest);
  await env.client.content.remove(digest);
});

test("a wrong expected digest fails with FailedPrecondition and leaves nothing", async () => {
  const data = new TextEncoder().encode("some bytes");
  const wrong = sha256Digest("other bytes");
  const e = await env.client.content.write(data, { expected: wrong }).catch((x) => x);
  expect(isContainerdError(e, "FailedPrecondition")).toBe(true);
  expect(e.message).toContain(wrong);
  expect(await env.client.content.has(sha256Digest(data))).toBe(false);
});

test("a source that fails mid-write aborts the write with the source's error", async () => {
  async function* failing() {
    yield new Uint8Array(1000);
    throw new Error("disk on fire");
  }
  const e = await env.client.content.write(failing()).catch((x) => x);
  expect(e.message).toContain("disk on fire");
  const short = await env.client.content.write(new Uint8Array(10), { size: 20 }).catch((x) => x);
  expect(isContainerdError(short, "InvalidArgument")).toBe(true);
  expect(short.message).toContain("got 10 bytes, expected 20");
});

test("reading a missing blob is NotFound", async () => {
  const missing = sha256Digest("never written");
  const e = await env.client.content.readAll(missing).catch((x) => x);
  expect(isContainerdError(e, "NotFound")).toBe(true);
  expect(e.message).toContain(missing);
  expect(isContainerdError(await env.client.content.info(missing).catch((x) => x), "NotFound")).toBe(true);
});
