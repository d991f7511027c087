// The raw gRPC pass-through between two real HTTP/2 servers on unix sockets: a front one (apid's
// place) relaying to an upstream one (machined's place), with a raw HTTP/2 client.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import http2 from "node:http2";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RequestBudget } from "@bronze/api";
import { eventually } from "@bronze/testing";
import { Http2SessionManager } from "@connectrpc/connect-node";
import { isBinaryGrpc, passThroughGrpc } from "./grpc-pass-through.ts";

const dir = mkdtempSync(join(tmpdir(), "pass-through-"));
const seen: http2.IncomingHttpHeaders[] = [];
let cancelled = 0;
let upstream: http2.Http2Server;
let front: http2.Http2Server;
let sessions: Http2SessionManager;
const refusing = new Http2SessionManager("http://localhost", undefined, {
  createConnection: () => connect(join(dir, "nobody.sock")),
});
/** Opens upstream streams only once `openGate` is called (a slow upstream session). */
let openGate: () => void = () => {};
/** How many upstream streams wait at the gate. */
let heldAtGate = 0;
/** How many callers of /s/SlowForever the front saw go away. */
let slowCallersGone = 0;
class SlowSessions extends Http2SessionManager {
  override async request(...args: Parameters<Http2SessionManager["request"]>) {
    heldAtGate++;
    await new Promise<void>((resolve) => {
      openGate = resolve;
    });
    return super.request(...args);
  }
}
let slow: SlowSessions;
/** One call's request at most 1 MB; every call's together: two ~0.6 MB requests held at once. */
const PER_CALL = 1_000_000;
const budget = new RequestBudget(1_300_000, PER_CALL, 30_000);
const statuses: number[] = [];

const envelope = (payload: string) => {
  const body = Buffer.from(payload);
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(body.length, 1);
  body.copy(out, 5);
  return out;
};

function listen(server: http2.Http2Server, path: string): Promise<void> {
  return new Promise((resolve) => server.listen(path, resolve));
}

beforeAll(async () => {
  upstream = http2.createServer();
  upstream.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    seen.push(headers);
    const path = headers[":path"];
    let body = Buffer.alloc(0);
    stream.on("data", (d: Buffer) => {
      body = Buffer.concat([body, d]);
    });
    stream.on("end", () => {
      if (path === "/s/Denied") {
        stream.respond(
          {
            ":status": 200,
            "content-type": "application/grpc",
            "grpc-status": "7",
            "grpc-message": "no%20way",
          },
          { endStream: true },
        );
        return;
      }
      if (path?.endsWith("Forever")) {
        stream.respond({ ":status": 200, "content-type": "application/grpc" });
        const timer = setInterval(() => stream.write(envelope("tick")), 5);
        stream.on("close", () => {
          clearInterval(timer);
          cancelled++;
        });
        return;
      }
      stream.respond(
        { ":status": 200, "content-type": "application/grpc", "x-up": "1" },
        { waitForTrailers: true },
      );
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "x-trailer": "t" }));
      stream.write(body); // the request, echoed
      stream.end(envelope("second"));
    });
  });
  await listen(upstream, join(dir, "up.sock"));
  sessions = new Http2SessionManager("http://localhost", undefined, {
    createConnection: () => connect(join(dir, "up.sock")),
  });
  slow = new SlowSessions("http://localhost", undefined, {
    createConnection: () => connect(join(dir, "up.sock")),
  });
  front = http2.createServer((req, res) => {
    if (req.url === "/s/SlowForever") req.once("close", () => slowCallersGone++);
    const target = req.url === "/s/Refused" ? refusing : req.url === "/s/SlowForever" ? slow : sessions;
    passThroughGrpc(req, res, {
      sessions: target,
      header: { "x-role": "os:reader" },
      responseHeader: { "x-node": "n1" },
      charge: budget.charge(),
      unreachable: "cannot reach the upstream",
    }).then((status) => statuses.push(status));
  });
  await listen(front, join(dir, "front.sock"));
});

afterAll(async () => {
  sessions.abort();
  refusing.abort();
  slow.abort();
  await new Promise((r) => front.close(r));
  await new Promise((r) => upstream.close(r));
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders | undefined;
  body: Buffer;
}

async function call(path: string, body: Buffer, extra: http2.OutgoingHttpHeaders = {}): Promise<Answer> {
  const client = http2.connect("http://localhost", {
    createConnection: () => connect(join(dir, "front.sock")),
  });
  try {
    const req = client.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      "x-secret": "not forwarded",
      ...extra,
    });
    req.end(body);
    let trailers: http2.IncomingHttpHeaders | undefined;
    req.on("trailers", (t) => {
      trailers = t;
    });
    const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) => req.once("response", resolve));
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return { headers, trailers, body: Buffer.concat(chunks) };
  } finally {
    client.close();
  }
}

test("binary gRPC content types only", () => {
  expect(isBinaryGrpc("application/grpc")).toBe(true);
  expect(isBinaryGrpc("application/grpc+proto")).toBe(true);
  expect(isBinaryGrpc("application/grpc+json")).toBe(false);
  expect(isBinaryGrpc("application/grpc-web")).toBe(false);
  expect(isBinaryGrpc("application/json")).toBe(false);
  expect(isBinaryGrpc(undefined)).toBe(false);
});

test("bytes, headers and trailers pass through; only the target's headers and the timeout go up", async () => {
  const request = envelope("hello");
  const answer = await call("/s/Echo", request, { "grpc-timeout": "5S" });
  expect(Number(answer.headers[":status"])).toBe(200);
  expect(answer.headers["x-up"]).toBe("1");
  expect(answer.headers["x-node"]).toBe("n1");
  expect(answer.trailers).toMatchObject({ "grpc-status": "0", "x-trailer": "t" });
  expect(Buffer.compare(answer.body, Buffer.concat([request, envelope("second")]))).toBe(0);
  const up = seen.at(-1);
  expect(up).toMatchObject({
    ":path": "/s/Echo",
    "content-type": "application/grpc",
    "x-role": "os:reader",
    "grpc-timeout": "5S",
    "grpc-accept-encoding": "identity",
  });
  expect(up?.["x-secret"]).toBeUndefined();
});

test("a trailers-only error reaches the caller as a status in trailers", async () => {
  const answer = await call("/s/Denied", envelope(""));
  expect(answer.headers["grpc-status"]).toBeUndefined();
  expect(answer.trailers).toMatchObject({ "grpc-status": "7", "grpc-message": "no%20way" });
  expect(answer.body.length).toBe(0);
});

test("an upstream whose stream cannot be opened: UNAVAILABLE with the target's message", async () => {
  const answer = await call("/s/Refused", envelope(""));
  expect(answer.trailers).toMatchObject({
    "grpc-status": "14",
    "grpc-message": "cannot%20reach%20the%20upstream",
  });
  expect(statuses.at(-1)).toBe(14);
});

test("the caller going away cancels the upstream stream", async () => {
  const before = cancelled;
  const client = http2.connect("http://localhost", {
    createConnection: () => connect(join(dir, "front.sock")),
  });
  const req = client.request({
    ":method": "POST",
    ":path": "/s/Forever",
    "content-type": "application/grpc",
  });
  req.end(envelope(""));
  await new Promise<void>((resolve) => req.once("data", () => resolve()));
  req.close(http2.constants.NGHTTP2_CANCEL);
  await eventually("the upstream stream cancelled", () => cancelled === before + 1, 5000, 20);
  client.close();
});

test("a caller gone while the upstream stream opens: the upstream call is cancelled as soon as it opens", async () => {
  const before = cancelled;
  const client = http2.connect("http://localhost", {
    createConnection: () => connect(join(dir, "front.sock")),
  });
  const req = client.request({
    ":method": "POST",
    ":path": "/s/SlowForever",
    "content-type": "application/grpc",
  });
  req.end(envelope(""));
  const held = heldAtGate;
  const gone = slowCallersGone;
  await eventually(
    "the request read, its upstream stream held at the gate",
    () => heldAtGate === held + 1,
    5000,
    5,
  );
  req.close(http2.constants.NGHTTP2_CANCEL);
  await eventually("the caller gone, as the front sees it", () => slowCallersGone === gone + 1, 5000, 5);
  openGate();
  await eventually("the upstream stream cancelled", () => cancelled === before + 1, 5000, 20);
  client.close();
});

test("a request larger than one call's limit is refused with RESOURCE_EXHAUSTED, never sent upstream", async () => {
  const calls = seen.length;
  const answer = await call("/s/Echo", Buffer.alloc(PER_CALL + 1024));
  expect(answer.trailers).toMatchObject({ "grpc-status": "8" });
  expect(decodeURIComponent(String(answer.trailers?.["grpc-message"]))).toContain(
    `larger than ${PER_CALL} bytes, the limit for one call`,
  );
  expect(seen.length).toBe(calls);
  expect(budget.used).toBe(0);
});

test("requests held by calls in flight count against one budget: past it, RESOURCE_EXHAUSTED", async () => {
  const client = http2.connect("http://localhost", {
    createConnection: () => connect(join(dir, "front.sock")),
  });
  const headers = { ":method": "POST", ":path": "/s/Echo", "content-type": "application/grpc" };
  // Two requests of 600 KB whose bodies never end: held by the pass-through while it waits for the rest.
  const held = [client.request(headers), client.request(headers)];
  for (const req of held) {
    req.on("error", () => {});
    req.write(Buffer.alloc(600_000));
  }
  await eventually("both requests held", () => budget.used === 1_200_000);
  const answer = await call("/s/Echo", Buffer.alloc(200_000));
  expect(answer.trailers).toMatchObject({ "grpc-status": "8" });
  expect(decodeURIComponent(String(answer.trailers?.["grpc-message"]))).toContain(
    "bytes of requests in flight, its limit",
  );
  // The callers going away give their bytes back.
  for (const req of held) req.close(http2.constants.NGHTTP2_CANCEL);
  await eventually("their bytes given back", () => budget.used === 0);
  expect((await call("/s/Echo", envelope("again"))).trailers).toMatchObject({ "grpc-status": "0" });
  client.close();
});

test("a body that is not one whole gRPC message (a reset mid-request looks like one) never goes upstream", async () => {
  const calls = seen.length;
  const whole = envelope("hello");
  const answer = await call("/s/Echo", whole.subarray(0, whole.length - 2));
  expect(answer.trailers).toMatchObject({ "grpc-status": "3" });
  expect(seen.length).toBe(calls);
});

test("a compressed request is refused unread (apid accepts no compression)", async () => {
  const calls = seen.length;
  const answer = await call("/s/Echo", envelope("x"), { "grpc-encoding": "gzip" });
  expect(answer.trailers).toMatchObject({ "grpc-status": "12" });
  expect(seen.length).toBe(calls);
});
