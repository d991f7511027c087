import { afterAll, beforeAll, expect, test } from "bun:test";
import { connect, constants, createServer, type Http2Server, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo } from "node:net";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { LogsRequestSchema, LogsResponseSchema } from "./gen/bronze/machine/v1/services_pb.ts";
import { GrpcFrameParser, grpcFrame, grpcServerStream, sessionStreamOpener } from "./grpc-stream-reader.ts";
import { LogLineDecoder } from "./log-text.ts";

const PATH = "/bronze.machine.v1.MachineService/Logs";
const logsData = (text: string) =>
  grpcFrame(toBinary(LogsResponseSchema, create(LogsResponseSchema, { data: Buffer.from(text) })));

type Handler = (stream: ServerHttp2Stream, request: Uint8Array, headers: Record<string, unknown>) => void;
let handler: Handler = () => {};
let server: Http2Server;
let port = 0;
beforeAll(async () => {
  server = createServer();
  server.on("stream", (stream, headers) => {
    const parts: Buffer[] = [];
    stream.on("data", (c: Buffer) => parts.push(c));
    stream.on("end", () =>
      handler(stream as ServerHttp2Stream, Buffer.concat(parts), headers as Record<string, unknown>),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => server.close());

function session() {
  return connect(`http://127.0.0.1:${port}`);
}
async function respondInPieces(
  stream: ServerHttp2Stream,
  body: Uint8Array,
  pieces: number[],
  trailers: Record<string, string>,
) {
  stream.respond({ ":status": 200, "content-type": "application/grpc+proto" }, { waitForTrailers: true });
  stream.once("wantTrailers", () => stream.sendTrailers(trailers));
  let off = 0;
  for (const n of pieces) {
    stream.write(body.subarray(off, off + n));
    off += n;
    await new Promise((r) => setTimeout(r, 2));
  }
  stream.end(body.subarray(off));
}

test("the parser reassembles messages whatever the cuts, a byte at a time included", () => {
  const a = new Uint8Array(300).fill(1);
  const b = new Uint8Array(0);
  const c = new Uint8Array([7, 8, 9]);
  const wire = Buffer.concat([grpcFrame(a), grpcFrame(b), grpcFrame(c)]);
  for (const step of [1, 2, 4, 5, 6, 299, 305, wire.length]) {
    const parser = new GrpcFrameParser();
    const got: Uint8Array[] = [];
    for (let off = 0; off < wire.length; off += step)
      got.push(...parser.push(wire.subarray(off, off + step)));
    expect(got.map((m) => Buffer.from(m).toString("hex"))).toEqual(
      [a, b, c].map((m) => Buffer.from(m).toString("hex")),
    );
    expect(parser.partial).toBe(false);
  }
  const cut = new GrpcFrameParser();
  cut.push(wire.subarray(0, 3));
  expect(cut.partial).toBe(true);
  expect(() => new GrpcFrameParser().push(new Uint8Array([1, 0, 0, 0, 0]))).toThrow(/compression/);
});

test("a Logs call: the request and headers arrive, frames cut across chunks and a message larger than a chunk come out whole", async () => {
  const big = `${"y".repeat(99)}\n`.repeat(3000); // ~300 KiB: larger than any HTTP/2 DATA frame
  const body = Buffer.concat([logsData("one\ntwo\n"), logsData(big), logsData("three\n")]);
  let seen: { id: string; node: unknown; te: unknown } | undefined;
  handler = (stream, request, headers) => {
    const req = fromBinary(LogsRequestSchema, request.subarray(5));
    seen = { id: req.id, node: headers["x-bronze-node"], te: headers.te };
    void respondInPieces(stream, body, [3, 9, 20, 70_000], { "grpc-status": "0" });
  };
  const s = session();
  try {
    const decoder = new LogLineDecoder();
    const lines: string[] = [];
    for await (const m of grpcServerStream(sessionStreamOpener(s), {
      path: PATH,
      request: toBinary(LogsRequestSchema, create(LogsRequestSchema, { id: "etcd" })),
      headers: { "x-bronze-node": "10.0.0.2" },
    }))
      lines.push(...decoder.push(fromBinary(LogsResponseSchema, m).data));
    expect(seen).toEqual({ id: "etcd", node: "10.0.0.2", te: "trailers" });
    expect(lines).toEqual(["one", "two", ...big.slice(0, -1).split("\n"), "three"]);
  } finally {
    s.close();
  }
});

test("an error status in the trailers becomes a ConnectError with its Code and message", async () => {
  handler = (stream) => {
    void respondInPieces(stream, logsData("kept\n"), [], {
      "grpc-status": "7",
      "grpc-message": "no%20access%3A logs",
    });
  };
  const s = session();
  try {
    const got: number[] = [];
    const error = await (async () => {
      for await (const m of grpcServerStream(sessionStreamOpener(s), {
        path: PATH,
        request: new Uint8Array(),
      }))
        got.push(m.length);
    })().catch((e) => e);
    expect(got.length).toBe(1);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.PermissionDenied);
    expect((error as ConnectError).rawMessage).toBe("no access: logs");
  } finally {
    s.close();
  }
});

test("a trailers-only answer and a missing status are errors too", async () => {
  handler = (stream) =>
    stream.respond(
      {
        ":status": 200,
        "content-type": "application/grpc+proto",
        "grpc-status": "5",
        "grpc-message": "no service x",
      },
      { endStream: true },
    );
  const s = session();
  try {
    const drain = async () => {
      for await (const _ of grpcServerStream(sessionStreamOpener(s), {
        path: PATH,
        request: new Uint8Array(),
      }));
    };
    const notFound = (await drain().catch((e) => e)) as ConnectError;
    expect([notFound.code, notFound.rawMessage]).toEqual([Code.NotFound, "no service x"]);
    handler = (stream) => {
      stream.respond({ ":status": 200 });
      stream.end(logsData("x\n"));
    };
    expect(((await drain().catch((e) => e)) as ConnectError).code).toBe(Code.Internal);
  } finally {
    s.close();
  }
});

test("aborting cancels the HTTP/2 stream (the server sees RST_STREAM CANCEL) and throws Canceled", async () => {
  const serverClosed = Promise.withResolvers<number | undefined>();
  handler = (stream) => {
    stream.respond({ ":status": 200, "content-type": "application/grpc+proto" });
    const timer = setInterval(() => stream.write(logsData("tick\n")), 5);
    stream.on("close", () => {
      clearInterval(timer);
      serverClosed.resolve(stream.rstCode);
    });
  };
  const s = session();
  try {
    const controller = new AbortController();
    let received = 0;
    const error = await (async () => {
      for await (const _ of grpcServerStream(sessionStreamOpener(s), {
        path: PATH,
        request: new Uint8Array(),
        signal: controller.signal,
      })) {
        if (++received === 3) controller.abort();
      }
    })().catch((e) => e);
    expect(received).toBe(3);
    expect((error as ConnectError).code).toBe(Code.Canceled);
    expect(await serverClosed.promise).toBe(constants.NGHTTP2_CANCEL);
  } finally {
    s.close();
  }
});
