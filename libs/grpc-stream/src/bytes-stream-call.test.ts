// callBytesStream against a real HTTP/2 server answering gRPC by hand (every answer the call must
// read: a stream and its trailers, an error in trailers, a trailers-only error, an HTTP error, a
// malformed stream, one that never ends), through connect-node's real Http2SessionManager.
import { afterAll, beforeAll, expect, test } from "bun:test";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { Http2SessionManager } from "@connectrpc/connect-node";
import { callBytesStream } from "./bytes-stream-call.ts";

/** A message with `data` as field 1 (bytes). */
function frame(data: Uint8Array): Uint8Array {
  const msg = new Uint8Array(2 + data.length); // data.length < 128 here: a one-byte length
  msg[0] = 0x0a;
  msg[1] = data.length;
  msg.set(data, 2);
  const out = new Uint8Array(5 + msg.length);
  new DataView(out.buffer).setUint32(1, msg.length);
  out.set(msg, 5);
  return out;
}

let server: http2.Http2Server;
let sessions: Http2SessionManager;
const seen: { path: string; headers: http2.IncomingHttpHeaders; body: Buffer; closedWith?: number }[] = [];

beforeAll(async () => {
  server = http2.createServer();
  server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    const chunks: Buffer[] = [];
    const record: (typeof seen)[number] = { path: String(headers[":path"]), headers, body: Buffer.alloc(0) };
    seen.push(record);
    stream.on("close", () => {
      record.closedWith = stream.rstCode;
    });
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      record.body = Buffer.concat(chunks);
      const grpc = { ":status": 200, "content-type": "application/grpc" };
      switch (record.path) {
        case "/t.S/Ok":
          stream.respond(grpc, { waitForTrailers: true });
          stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
          stream.write(frame(new TextEncoder().encode("hello ")));
          stream.end(frame(new TextEncoder().encode("world")));
          return;
        case "/t.S/Big": // 2000 messages of 100 bytes, each its own byte value
          stream.respond(grpc, { waitForTrailers: true });
          stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
          for (let i = 0; i < 2000; i++) stream.write(frame(new Uint8Array(100).fill(i & 0xff)));
          stream.end();
          return;
        case "/t.S/FailsLater":
          stream.respond(grpc, { waitForTrailers: true });
          stream.on("wantTrailers", () =>
            stream.sendTrailers({
              "grpc-status": "5",
              "grpc-message": encodeURIComponent("no such thing: x"),
            }),
          );
          stream.end(frame(new TextEncoder().encode("partial")));
          return;
        case "/t.S/TrailersOnly":
          stream.respond({ ...grpc, "grpc-status": "7", "grpc-message": "not yours" }, { endStream: true });
          return;
        case "/t.S/Http503":
          stream.respond({ ":status": 503, "content-type": "text/plain" });
          stream.end("busy");
          return;
        case "/t.S/Malformed":
          stream.respond(grpc, { waitForTrailers: true });
          stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
          stream.end(new Uint8Array([1, 0, 0, 0, 1, 0])); // compressed
          return;
        case "/t.S/NoStatus":
          stream.respond(grpc);
          stream.end(frame(new Uint8Array([1])));
          return;
        default: // never ends: a piece now and then
          stream.respond(grpc);
          stream.write(frame(new Uint8Array([1, 2, 3])));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  sessions = new Http2SessionManager(`http://127.0.0.1:${port}`);
});

afterAll(() => {
  sessions.abort();
  server.close();
});

async function read(path: string, extra: { timeoutMs?: number; signal?: AbortSignal } = {}) {
  const pieces: string[] = [];
  for await (const p of callBytesStream({
    sessions,
    path,
    request: new Uint8Array([0x0a, 1, 65]),
    field: 1,
    headers: { "x-test": "yes" },
    ...extra,
  }))
    pieces.push(new TextDecoder().decode(p));
  return pieces.join("");
}

async function failure(run: Promise<unknown>): Promise<ConnectError> {
  try {
    await run;
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectError);
    return e as ConnectError;
  }
  throw new Error("the call did not fail");
}

test("the request goes out as one gRPC message with gRPC's headers; the field's bytes come back", async () => {
  expect(await read("/t.S/Ok")).toBe("hello world");
  const call = seen.find((s) => s.path === "/t.S/Ok");
  expect([...(call?.body ?? [])]).toEqual([0, 0, 0, 0, 3, 0x0a, 1, 65]);
  expect(call?.headers["content-type"]).toBe("application/grpc+proto");
  expect(call?.headers.te).toBe("trailers");
  expect(call?.headers["x-test"]).toBe("yes");
});

test("the pieces stay valid after the stream went on: each is a view of its own chunk, never reused", async () => {
  const kept: Uint8Array[] = [];
  for await (const p of callBytesStream({ sessions, path: "/t.S/Big", request: new Uint8Array(0), field: 1 }))
    kept.push(p);
  const all = new Uint8Array(Buffer.concat(kept));
  expect(all.length).toBe(200_000);
  const wrong = all.findIndex((b, i) => b !== (Math.floor(i / 100) & 0xff));
  expect(wrong).toBe(-1);
});

test("a status in the trailers, a trailers-only answer and an HTTP error throw the codes a Connect client would", async () => {
  const later = await failure(read("/t.S/FailsLater"));
  expect([later.code, later.rawMessage]).toEqual([Code.NotFound, "no such thing: x"]);
  const only = await failure(read("/t.S/TrailersOnly"));
  expect([only.code, only.rawMessage]).toEqual([Code.PermissionDenied, "not yours"]);
  expect((await failure(read("/t.S/Http503"))).code).toBe(Code.Unavailable);
  expect((await failure(read("/t.S/NoStatus"))).code).toBe(Code.Internal);
  const malformed = await failure(read("/t.S/Malformed"));
  expect(malformed.code).toBe(Code.Internal);
  expect(malformed.rawMessage).toContain("compressed");
});

test("the deadline and the signal end a stream that does not, and cancel it on the server", async () => {
  const late = await failure(read("/t.S/Forever", { timeoutMs: 299.2 }));
  expect(late.code).toBe(Code.DeadlineExceeded);
  const abort = new AbortController();
  setTimeout(() => abort.abort(), 200);
  expect((await failure(read("/t.S/Forever", { signal: abort.signal }))).code).toBe(Code.Canceled);
  const forever = seen.filter((s) => s.path === "/t.S/Forever");
  expect(forever[0]?.headers["grpc-timeout"]).toBe("300m");
  const deadline = Date.now() + 5_000;
  while (forever.some((s) => s.closedWith === undefined) && Date.now() < deadline) await Bun.sleep(20);
  expect(forever.map((s) => s.closedWith)).toEqual([
    http2.constants.NGHTTP2_CANCEL,
    http2.constants.NGHTTP2_CANCEL,
  ]);
});

test("an open-ended call sends no grpc-timeout", async () => {
  expect(await read("/t.S/Ok", { timeoutMs: Number.POSITIVE_INFINITY })).toBe("hello world");
  expect(seen.at(-1)?.headers["grpc-timeout"]).toBeUndefined();
});

test("a caller that stops reading early cancels the call", async () => {
  const before = seen.length;
  for await (const _ of callBytesStream({
    sessions,
    path: "/t.S/Forever2",
    request: new Uint8Array(0),
    field: 1,
  }))
    break;
  const call = seen[before];
  const deadline = Date.now() + 5_000;
  while (call?.closedWith === undefined && Date.now() < deadline) await Bun.sleep(20);
  expect(call?.closedWith).toBe(http2.constants.NGHTTP2_CANCEL);
});
