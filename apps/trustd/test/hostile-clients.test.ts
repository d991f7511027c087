// Hostile clients against the real trustd (TLS on 127.0.0.1, no client certificates: anyone can
// connect): what the security review did to it (H1, H2, H3). Requests are written by hand where the
// point is what trustd does before reading them.
import { afterAll, beforeAll, expect, test } from "bun:test";
import http2 from "node:http2";
import https from "node:https";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { brotliCompressSync, constants as zlibConstants } from "node:zlib";
import { checkServerIdentity, SecurityService } from "@bronze/api";
import { createCSR, generateKeyPair, inspectCertificate } from "@bronze/pki";
import {
  callDuringConnectionFlood,
  freePort,
  grpcFrame,
  holdConnections,
  rawHttp2Call,
  waitFor,
  within,
} from "@bronze/testing";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { startTrustd } from "../src/trustd-server.ts";
import { startTrustdFixture, TOKEN, type TrustdFixture } from "./trustd-fixture.ts";

const PATH = "/bronze.security.v1.SecurityService/Certificate";
const connectJson = { "content-type": "application/json", "connect-protocol-version": "1" };
const grpcHeaders = { "content-type": "application/grpc", te: "trailers" };
let f: TrustdFixture;

beforeAll(async () => {
  f = await startTrustdFixture();
});
afterAll(async () => {
  await f?.close();
});

const url = () => `https://127.0.0.1:${f.trustd.port}`;
const connectCode = (body: Buffer) => (JSON.parse(body.toString() || "{}") as { code?: string }).code;

test("H1: without the token nothing is read: the answer comes while the body is still open", async () => {
  for (const headers of [connectJson, grpcHeaders]) {
    const answer = await within(
      5000,
      `no token (${headers["content-type"]})`,
      rawHttp2Call({
        url: url(),
        path: PATH,
        headers,
        body:
          headers === grpcHeaders
            ? grpcFrame(Buffer.alloc(1000), { length: 1 << 30 })
            : Buffer.from('{"csr":"'),
        keepBodyOpen: true,
        ca: f.ca.crt,
      }),
    );
    expect(answer.bodyEnded).toBe(false);
    if (headers === connectJson) expect(connectCode(answer.body)).toBe("unauthenticated");
    else expect(answer.trailers["grpc-status"] ?? answer.headers["grpc-status"]).toBe("16");
  }
});

test("H1/H2: over HTTP/1.1 too, a body that never ends neither gets read nor holds the connection", async () => {
  const trustd = await startTrustd({
    host: "127.0.0.1",
    port: 0,
    pkiDir: f.dir,
    tokenFile: join(f.dir, "token"),
    requestBodyTimeoutMs: 300,
  });
  try {
    const answer = await within(
      5000,
      "an HTTP/1.1 request without the token whose body never ends",
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = https.request(
          {
            host: "127.0.0.1",
            port: trustd.port,
            path: PATH,
            method: "POST",
            ca: f.ca.crt,
            headers: connectJson,
          },
          (res) => {
            let body = "";
            res.on("data", (d) => {
              body += d;
            });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on("error", reject);
        req.write('{"csr":"');
      }),
    );
    expect(answer.status).toBe(401);
    expect(connectCode(Buffer.from(answer.body))).toBe("unauthenticated");
  } finally {
    await trustd.close();
  }
});

test("H1: with the token, a compressed body is refused unread, and more than 64 KiB is too much", async () => {
  const bomb = brotliCompressSync(Buffer.alloc(16 << 20, " "), {
    params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 },
  });
  const compressed = await within(
    5000,
    "a brotli body",
    rawHttp2Call({
      url: url(),
      path: PATH,
      headers: { ...connectJson, "content-encoding": "br", "x-bronze-token": TOKEN },
      body: bomb,
      ca: f.ca.crt,
    }),
  );
  expect(connectCode(compressed.body)).toBe("unimplemented");
  const big = await within(
    5000,
    "100 KiB",
    rawHttp2Call({
      url: url(),
      path: PATH,
      headers: { ...connectJson, "x-bronze-token": TOKEN },
      body: Buffer.from(JSON.stringify({ csr: Buffer.alloc(100 << 10).toString("base64") })),
      ca: f.ca.crt,
    }),
  );
  expect(connectCode(big.body)).toBe("resource_exhausted");
});

test("H3: the CSR's subject is ignored: a token holder asking for any name gets the caller's address", async () => {
  const { privateKeyPem } = await generateKeyPair();
  for (const ask of [{}, { ipAddresses: ["127.0.0.1"] }]) {
    const csr = await createCSR({ privateKeyPem, commonName: "cp.cluster.example", ...ask });
    const res = await f
      .client()
      .certificate({ csr: new TextEncoder().encode(csr) }, { headers: { "x-bronze-token": TOKEN } });
    const crt = new TextDecoder().decode(res.crt);
    const info = inspectCertificate(crt);
    expect(info.commonName).toBe("127.0.0.1");
    expect(info.dnsNames).toEqual([]);
    expect(info.ipAddresses).toEqual(["127.0.0.1"]);
    // No client takes it for the name it asked for.
    const peer = { subject: { CN: info.commonName }, subjectaltname: "IP Address:127.0.0.1" };
    expect(checkServerIdentity("cp.cluster.example", peer as never)).toBeInstanceOf(Error);
  }
});

test("H2: connections doing nothing are closed: no handshake, no preface, an idle session", async () => {
  const trustd = await startTrustd({
    host: "127.0.0.1",
    port: 0,
    pkiDir: f.dir,
    tokenFile: join(f.dir, "token"),
    limits: { handshakeTimeoutMs: 300, idleTimeoutMs: 300 },
  });
  try {
    const raw = await holdConnections({ port: trustd.port, count: 3 });
    let silentClosed = false;
    const silent = tlsConnect({ host: "127.0.0.1", port: trustd.port, ca: f.ca.crt });
    silent.resume();
    silent.on("close", () => {
      silentClosed = true;
    });
    silent.on("error", () => {});
    const idle = http2.connect(`https://127.0.0.1:${trustd.port}`, { ca: f.ca.crt });
    idle.on("error", () => {});
    let idleClosed = false;
    idle.on("close", () => {
      idleClosed = true;
    });
    const closed = (what: string, check: () => boolean) =>
      waitFor(() => (check() ? true : undefined), { what, timeoutMs: 10_000, intervalMs: 20 });
    await closed("no handshake", () => raw.open() === 0);
    await closed("no preface", () => silentClosed);
    await closed("an idle session", () => idleClosed);
  } finally {
    await trustd.close();
  }
});

test("H2: under trustd's real fd limit (1024), 1,100 idle connections do not lock a joining node out", async () => {
  const port = await freePort();
  const sessions: Http2SessionManager[] = [];
  const { privateKeyPem } = await generateKeyPair();
  const csr = new TextEncoder().encode(await createCSR({ privateKeyPem, commonName: "w" }));
  const joinCall = () => {
    const sessionManager = new Http2SessionManager(`https://127.0.0.1:${port}`, undefined, { ca: f.ca.crt });
    sessions.push(sessionManager);
    const transport = createGrpcTransport({ baseUrl: `https://127.0.0.1:${port}`, sessionManager });
    return createClient(SecurityService, transport).certificate(
      { csr },
      { headers: { "x-bronze-token": TOKEN }, timeoutMs: 5000 },
    );
  };
  try {
    const res = await callDuringConnectionFlood({
      argv: [
        process.execPath,
        join(import.meta.dir, "../src/main.ts"),
        "--listen",
        `127.0.0.1:${port}`,
        "--pki-dir",
        f.dir,
        "--token-file",
        join(f.dir, "token"),
      ],
      port,
      call: joinCall,
    });
    expect(inspectCertificate(new TextDecoder().decode(res.crt)).ipAddresses).toEqual(["127.0.0.1"]);
  } finally {
    for (const s of sessions) s.abort();
  }
}, 60_000);
