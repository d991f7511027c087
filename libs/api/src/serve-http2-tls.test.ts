// serveHttp2Tls with a throwaway certificate from openssl (libs/api does not depend on libs/pki).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, holdConnections } from "@bronze/testing";
import { type Http2TlsServer, serveHttp2Tls } from "./serve-http2-tls.ts";

let dir = "";
let cert = "";
let key = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "serve-h2-tls-"));
  const proc = Bun.spawn(
    [
      "openssl",
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "crt.pem"),
      "-subj",
      "/CN=test",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-days",
      "1",
    ],
    { stdout: "ignore", stderr: "pipe" },
  );
  expect(await proc.exited).toBe(0);
  cert = readFileSync(join(dir, "crt.pem"), "utf8");
  key = readFileSync(join(dir, "key.pem"), "utf8");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function serve(limits: Parameters<typeof serveHttp2Tls>[0]["limits"] = {}): Promise<Http2TlsServer> {
  return serveHttp2Tls({
    host: "127.0.0.1",
    port: 0,
    tls: { cert, key },
    onRequest: (_req, res) => res.end("ok"),
    limits,
    listenError: (error) => new Error(`cannot listen: ${error.message}`),
  });
}

test("serves HTTP/2 over TLS, advertising the stream cap", async () => {
  const server = await serve({ maxConcurrentStreams: 7 });
  const session = http2.connect(`https://127.0.0.1:${server.port}`, { ca: cert });
  try {
    const settings = await new Promise<http2.Settings>((resolve) => session.once("remoteSettings", resolve));
    expect(settings.maxConcurrentStreams).toBe(7);
    const req = session.request({ ":path": "/" });
    let body = "";
    req.on("data", (d: Buffer) => {
      body += d.toString();
    });
    await new Promise((resolve) => req.on("end", resolve));
    expect(body).toBe("ok");
    expect(server.connections().open).toBe(1);
  } finally {
    session.close();
    await server.close(500);
  }
});

test("a connection past the per-address cap is refused before its handshake", async () => {
  const server = await serve({ maxConnectionsPerAddress: 2 });
  try {
    const held = await holdConnections({ port: server.port, count: 3, from: ["127.0.0.9"] });
    await eventually("one refused", () => server.connections().refused === 1 && held.open() === 2);
    held.close();
  } finally {
    await server.close(500);
  }
});

test("close() does not wait for connections stuck before their handshake", async () => {
  const server = await serve({ handshakeTimeoutMs: 60_000 });
  const held = await holdConnections({ port: server.port, count: 3 });
  await eventually("admitted", () => server.connections().open === 3);
  await server.close(200);
  await eventually("closed on the client side too", () => held.open() === 0);
});

test("a port already taken rejects with the caller's error", async () => {
  const first = await serve();
  try {
    await expect(
      serveHttp2Tls({
        host: "127.0.0.1",
        port: first.port,
        tls: { cert, key },
        onRequest: () => {},
        listenError: (error) => new Error(`cannot listen: ${error.message}`),
      }),
    ).rejects.toThrow(/^cannot listen: /);
  } finally {
    await first.close(100);
  }
});
