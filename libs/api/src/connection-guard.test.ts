// The guard on a cleartext HTTP/2 server (the TLS servers of apid and trustd are tested in their apps):
// real sockets from several source addresses of 127.0.0.0/8.
import { afterEach, expect, test } from "bun:test";
import * as http2 from "node:http2";
import { connect, type Socket } from "node:net";
import { eventually } from "@bronze/testing";
import { ConnectionGuard, type Http2TlsLimits } from "./connection-guard.ts";

const LIMITS: Http2TlsLimits = {
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  maxConnections: 6,
  maxConnectionsPerAddress: 3,
  maxConcurrentStreams: 100,
};

type Handler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup) fn();
  cleanup = [];
});

async function serve(limits: Partial<Http2TlsLimits>, handler: Handler = (_q, s) => s.end("ok")) {
  const guard = new ConnectionGuard({ ...LIMITS, ...limits });
  const server = http2.createServer((req, res) => {
    guard.track(req, res);
    handler(req, res);
  });
  server.on("connection", (socket: Socket) => guard.admit(socket));
  server.on("session", (session) => guard.bindSession(session));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  cleanup.push(() => {
    guard.destroyAll();
    server.close();
  });
  return { guard, port };
}

/** A TCP connection from `from` that sends nothing; resolves once connected. */
function idle(port: number, from: string): Promise<Socket & { gone: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1", localAddress: from }) as Socket & { gone: boolean };
    socket.gone = false;
    socket.on("close", () => {
      socket.gone = true;
    });
    socket.on("error", () => {});
    // Flowing, or its "close" would wait for someone to read.
    socket.resume();
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
    cleanup.push(() => socket.destroy());
  });
}

test("past the per-address cap new connections are refused; other addresses still get in", async () => {
  const { guard, port } = await serve({});
  const first = await Promise.all([1, 2, 3].map(() => idle(port, "127.0.0.2")));
  await eventually("three admitted", () => guard.stats().open === 3);
  const extra = await idle(port, "127.0.0.2");
  await eventually("the fourth from 127.0.0.2 closed", () => extra.gone);
  expect(guard.stats().refused).toBe(1);
  expect(first.some((s) => s.gone)).toBe(false);
  const other = await idle(port, "127.0.0.3");
  await eventually("127.0.0.3 admitted", () => guard.stats().open === 4);
  expect(other.gone).toBe(false);
});

test("past the total cap the oldest idle connection makes room; a busy one never does", async () => {
  let release: () => void = () => {};
  const { guard, port } = await serve({ maxConnections: 3 }, (_req, res) => {
    release = () => res.end("done");
  });
  const session = http2.connect(`http://127.0.0.1:${port}`);
  cleanup.push(() => session.destroy());
  const call = session.request({ ":path": "/" });
  call.resume();
  await eventually("the call reached the server", () => guard.stats().open === 1);
  const a = await idle(port, "127.0.0.4");
  const b = await idle(port, "127.0.0.5");
  await eventually("three open", () => guard.stats().open === 3);
  const c = await idle(port, "127.0.0.6");
  await eventually("the oldest idle (a) evicted", () => a.gone);
  expect(guard.stats().evicted).toBe(1);
  expect([b.gone, c.gone, session.closed]).toEqual([false, false, false]);
  const ended = new Promise((resolve) => call.on("end", resolve));
  release();
  await ended;
});

test("at the cap a silent connection goes before a client between its calls; among clients, the one idle longest", async () => {
  const { guard, port } = await serve({ maxConnections: 3 });
  const client = (from: string) => {
    const session = http2.connect(`http://127.0.0.1:${port}`, { localAddress: from } as never);
    session.on("error", () => {}); // the evicted one's socket is destroyed under it
    cleanup.push(() => session.destroy());
    return session;
  };
  const call = (session: http2.ClientHttp2Session) =>
    new Promise<void>((resolve, reject) => {
      const req = session.request({ ":path": "/" });
      req.resume();
      req.on("end", resolve);
      req.on("error", reject);
    });
  // The oldest connection is a client that made a call and now waits between calls.
  const admin = client("127.0.0.8");
  await call(admin);
  const a = await idle(port, "127.0.0.9");
  const b = await idle(port, "127.0.0.10");
  await eventually("three open", () => guard.stats().open === 3);
  const c = await idle(port, "127.0.0.11");
  await eventually("the oldest silent one (a) evicted", () => a.gone);
  expect([b.gone, c.gone, admin.closed]).toEqual([false, false, false]);
  const other = client("127.0.0.12");
  await call(other);
  await eventually("b made room", () => b.gone);
  const d = await idle(port, "127.0.0.13");
  await eventually("c made room", () => c.gone);
  const last = client("127.0.0.14");
  await call(last);
  await eventually("d made room", () => d.gone);
  // Only clients left (admin, other, last): the one idle the longest goes, not the oldest.
  await call(admin);
  const fourth = client("127.0.0.15");
  await call(fourth);
  await eventually("the other client, idle the longest, evicted", () => other.closed || other.destroyed);
  expect([admin.closed, last.closed]).toEqual([false, false]);
  await call(admin);
  expect(guard.stats().evicted).toBe(5);
});

test("a connection with no call open is closed after the idle timeout; one with a call is not", async () => {
  let release: () => void = () => {};
  const { guard, port } = await serve({ idleTimeoutMs: 150 }, (_req, res) => {
    release = () => res.end("done");
  });
  const busy = http2.connect(`http://127.0.0.1:${port}`);
  cleanup.push(() => busy.destroy());
  const call = busy.request({ ":path": "/" });
  call.resume();
  await eventually("the call is open", () => guard.stats().open === 1);
  const raw = await idle(port, "127.0.0.7");
  await eventually("the silent connection closed", () => raw.gone);
  const quiet = http2.connect(`http://127.0.0.1:${port}`);
  let quietClosed = false;
  quiet.on("close", () => {
    quietClosed = true;
  });
  quiet.on("error", () => {});
  cleanup.push(() => quiet.destroy());
  await eventually("an HTTP/2 session with no stream closed (GOAWAY)", () => quietClosed);
  // The busy session outlived both: its call is still answered.
  expect(busy.closed).toBe(false);
  const ended = new Promise((resolve) => call.on("end", resolve));
  release();
  await ended;
  await eventually("then idle, it is closed too", () => busy.closed);
  expect(guard.stats().idleClosed).toBeGreaterThanOrEqual(3);
});
