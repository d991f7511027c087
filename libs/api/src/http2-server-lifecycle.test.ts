import { afterEach, expect, jest, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import * as http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "@bronze/testing";
import { closeGracefully, listen, trackSessions } from "./http2-server-lifecycle.ts";

let dir = "";
afterEach(() => {
  jest.useRealTimers();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = "";
});

test("a session is tracked while open; a polite close ends an idle server at once", async () => {
  const server = http2.createServer((_req, res) => res.end("ok"));
  const sessions = trackSessions(server, () => {});
  await listen(server, { port: 0, host: "127.0.0.1" }, (e) => e);
  const { port } = server.address() as { port: number };
  const client = http2.connect(`http://127.0.0.1:${port}`);
  const req = client.request({ ":path": "/" });
  req.resume();
  await new Promise((r) => req.on("end", r));
  expect(sessions.size).toBe(1);
  // A grace period longer than the test's timeout: only the polite close can end this.
  await closeGracefully(server, sessions, 600_000);
  client.close();
});

test("a session with a request that never ends is destroyed after the grace period", async () => {
  const server = http2.createServer(() => {}); // never answers
  const sessions = trackSessions(server, () => {});
  dir = mkdtempSync(join(tmpdir(), "h2-"));
  const path = join(dir, "s.sock");
  await listen(server, { path }, (e) => e);
  const client = http2.connect("http://localhost", { path } as http2.ClientSessionOptions & { path: string });
  client.on("error", () => {});
  const req = client.request({ ":path": "/" });
  req.on("error", () => {});
  await eventually("the session tracked", () => sessions.size === 1, 5000, 5);
  // The grace period runs on fake timers: nothing ends before it is over.
  jest.useFakeTimers();
  let closed = false;
  const closing = closeGracefully(server, sessions, 300).then(() => {
    closed = true;
  });
  jest.advanceTimersByTime(299);
  for (let i = 0; i < 10; i++) await Promise.resolve();
  expect(closed).toBe(false);
  expect(sessions.size).toBe(1);
  jest.advanceTimersByTime(1);
  jest.useRealTimers();
  await closing;
  expect(sessions.size).toBe(0);
});

test("a bind failure rejects with the caller's error", async () => {
  const first = http2.createServer();
  await listen(first, { port: 0, host: "127.0.0.1" }, (e) => e);
  const { port } = first.address() as { port: number };
  const second = http2.createServer();
  const failure = listen(
    second,
    { port, host: "127.0.0.1" },
    (e) => new Error(`cannot listen: ${e.message}`),
  );
  await expect(failure).rejects.toThrow(/^cannot listen: /);
  await closeGracefully(first, new Set(), 100);
});
