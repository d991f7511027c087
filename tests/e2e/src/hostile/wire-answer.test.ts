import { expect, test } from "bun:test";
import { envelopes, type WireAnswer, wireStatus } from "./wire-answer.ts";

const frame = (flags: number, text: string) => {
  const data = new TextEncoder().encode(text);
  const out = new Uint8Array(5 + data.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, data.length);
  out.set(data, 5);
  return out;
};
const answer = (a: Partial<WireAnswer>): WireAnswer => ({
  status: 200,
  headers: {},
  trailers: {},
  body: new Uint8Array(),
  ...a,
});

test("gRPC: the status from the trailers, or from the headers of a trailers-only answer", () => {
  const grpc = { "content-type": "application/grpc" };
  expect(
    wireStatus(
      "application/grpc",
      answer({ headers: grpc, trailers: { "grpc-status": "3", "grpc-message": "bad%20id" } }),
    ),
  ).toEqual({ code: "invalid_argument", message: "bad id", via: "trailers" });
  expect(
    wireStatus("application/grpc+proto", answer({ headers: { ...grpc, "grpc-status": "12" } })).code,
  ).toBe("unimplemented");
  expect(wireStatus("application/grpc", answer({ headers: grpc })).code).toBeUndefined();
});

test("gRPC-web: the trailer frame in the body", () => {
  const body = frame(0x80, "grpc-status: 7\r\ngrpc-message: reader%20may%20not\r\n");
  const s = wireStatus(
    "application/grpc-web+proto",
    answer({ headers: { "content-type": "application/grpc-web+proto" }, body }),
  );
  expect(s).toEqual({ code: "permission_denied", message: "reader may not", via: "grpc-web trailer frame" });
});

test("Connect: unary errors as JSON, streams by their end message, plain HTTP errors by their status", () => {
  const json = new TextEncoder().encode('{"code":"resource_exhausted","message":"too big"}');
  expect(wireStatus("application/json", answer({ status: 429, body: json }))).toEqual({
    code: "resource_exhausted",
    message: "too big",
    via: "HTTP 429 + JSON error",
  });
  expect(wireStatus("application/json", answer({ status: 200 })).code).toBe("ok");
  const stream = { "content-type": "application/connect+json" };
  const end = frame(0x02, '{"error":{"code":"internal","message":"x"}}');
  expect(wireStatus("application/connect+json", answer({ headers: stream, body: end })).code).toBe(
    "internal",
  );
  expect(
    wireStatus("application/connect+json", answer({ headers: stream, body: frame(0x02, "{}") })).code,
  ).toBe("ok");
  expect(wireStatus("application/connect+json", answer({ headers: stream })).code).toBeUndefined();
  expect(wireStatus("text/plain", answer({ status: 415 })).code).toBe("unimplemented");
  expect(wireStatus("text/plain", answer({ status: 418 })).code).toBe("unknown");
});

test("envelopes stop at a frame cut short", () => {
  const two = new Uint8Array([...frame(0, "ab"), ...frame(0x80, "c")]);
  expect(envelopes(two).map((e) => [e.flags, e.data.length])).toEqual([
    [0, 2],
    [0x80, 1],
  ]);
  expect(envelopes(two.subarray(0, two.length - 1)).length).toBe(1);
});
