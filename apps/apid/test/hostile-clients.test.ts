// Hostile clients against the real apid (TLS on 127.0.0.1): what the security review did to it
// (H1, H2), each of which must now be refused early and cheaply. Requests are written by hand: a body
// that never ends shows that an answer came before apid read it; compressed bodies that a
// decompressor would blow up; more bytes than apid may hold; connections that never do anything.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { brotliCompressSync, gzipSync, constants as zlibConstants } from "node:zlib";
import { MachineService } from "@bronze/api";
import type { CertificateAndKey } from "@bronze/pki";
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
import { type Apid, startApid } from "../src/apid-server.ts";
import { type MachinedStandIn, startMachinedStandIn } from "./machined-stand-in.ts";
import { makePki, type PkiFixture, writePkiDir } from "./pki-fixture.ts";

const M = "/bronze.machine.v1.MachineService";
let dir: string;
let pki: PkiFixture;
let machined: MachinedStandIn;
let secure: Apid;
let maintenance: Apid;
let unreachable: Apid;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "apid-hostile-"));
  pki = await makePki();
  machined = await startMachinedStandIn({
    socketPath: join(dir, "machined.sock"),
    logDir: dir,
    filesRoot: dir,
  });
  writePkiDir(join(dir, "pki"), { ca: pki.ca, server: pki.server });
  const common = { host: "127.0.0.1", port: 0, closeGraceMs: 200 } as const;
  secure = await startApid({
    ...common,
    machinedSocket: machined.socketPath,
    mode: { kind: "secure", pkiDir: join(dir, "pki") },
    // Two ~600 KB requests held at once, not three.
    requestBudgetBytes: 1_300_000,
  });
  maintenance = await startApid({
    ...common,
    machinedSocket: machined.socketPath,
    mode: { kind: "maintenance", hostname: "fresh" },
  });
  unreachable = await startApid({
    ...common,
    machinedSocket: join(dir, "nobody.sock"),
    mode: { kind: "secure", pkiDir: join(dir, "pki") },
  });
});

afterAll(async () => {
  await Promise.all([secure, maintenance, unreachable].map((a) => a?.close()));
  await machined?.close();
  rmSync(dir, { recursive: true, force: true });
});

const url = (apid: Apid) => `https://127.0.0.1:${apid.port}`;
const tls = (cert: CertificateAndKey | undefined) => ({ ca: pki.ca.crt, cert: cert?.crt, key: cert?.key });
const connectJson = { "content-type": "application/json", "connect-protocol-version": "1" };
const grpcHeaders = { "content-type": "application/grpc", te: "trailers" };
/** What a Connect unary error answer says: its code. */
const connectCode = (body: Buffer) => (JSON.parse(body.toString() || "{}") as { code?: string }).code;

test("H1: a compressed body is refused unread (a few hundred bytes of brotli are 16 MB)", async () => {
  const bomb = brotliCompressSync(Buffer.alloc(16 << 20, " "), {
    params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 },
  });
  expect(bomb.length).toBeLessThan(1000);
  for (const apid of [maintenance, secure]) {
    const answer = await within(
      5000,
      "a brotli body",
      rawHttp2Call({
        url: url(apid),
        path: `${M}/Version`,
        headers: { ...connectJson, "content-encoding": "br" },
        body: bomb,
        ...tls(pki.reader),
        ca: apid === maintenance ? undefined : pki.ca.crt,
      }),
    );
    expect(answer.status).not.toBe(200);
    expect(connectCode(answer.body)).toBe("unimplemented");
    expect(answer.body.toString()).toContain('unknown compression \\"br\\"');
  }
});

test("H1: a refused call is answered before its body is read, on every protocol", async () => {
  const gzipped = grpcFrame(gzipSync(Buffer.alloc(8 << 20)), { compressed: true, length: 1 << 30 });
  const cases = [
    // Maintenance mode, binary gRPC: Reboot is not served (it used to fall back to connect, which
    // read and gunzipped the whole body before refusing).
    {
      apid: maintenance,
      cert: undefined,
      path: `${M}/Reboot`,
      headers: { ...grpcHeaders, "grpc-encoding": "gzip" },
      body: gzipped,
    },
    // A reader's ApplyConfiguration, Connect and gRPC-web: refused from the headers alone.
    {
      apid: secure,
      cert: pki.reader,
      path: `${M}/ApplyConfiguration`,
      headers: connectJson,
      body: Buffer.from("{"),
    },
    {
      apid: secure,
      cert: pki.reader,
      path: `${M}/ApplyConfiguration`,
      headers: { "content-type": "application/grpc-web+proto" },
      body: grpcFrame(Buffer.alloc(1000)),
    },
    { apid: secure, cert: pki.reader, path: `${M}/ApplyConfiguration`, headers: grpcHeaders, body: gzipped },
  ];
  for (const c of cases) {
    const answer = await within(
      5000,
      `${c.path} (${c.headers["content-type"]})`,
      rawHttp2Call({
        url: url(c.apid),
        path: c.path,
        headers: c.headers,
        body: c.body,
        keepBodyOpen: true,
        ...tls(c.cert),
        ca: c.apid === maintenance ? undefined : pki.ca.crt,
      }),
    );
    expect(answer.bodyEnded).toBe(false);
    const type = c.headers["content-type"];
    if (type === "application/json") expect(connectCode(answer.body)).toBe("permission_denied");
    // gRPC-web carries its status in a trailer frame of the body.
    else if (type.startsWith("application/grpc-web"))
      expect(answer.body.toString()).toContain("grpc-status: 7");
    else expect(answer.trailers["grpc-status"] ?? answer.headers["grpc-status"]).toBe("7");
  }
});

/** A POST over HTTPS/1.1 with a reader's certificate: the status, content type and body. */
function http1Post(
  path: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${url(secure)}${path}`,
      { method: "POST", headers, ...tls(pki.reader), agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            type: res.headers["content-type"],
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

test("gRPC over HTTP/1.1 (no trailers, so no status) is refused with 505; Connect and gRPC-web over HTTP/1.1 are served", async () => {
  for (const type of [
    "application/grpc",
    "application/grpc+proto",
    "application/grpc+json",
    "APPLICATION/GRPC",
  ]) {
    const answer = await http1Post(`${M}/Version`, { "content-type": type }, grpcFrame(Buffer.alloc(0)));
    expect(answer.status).toBe(505);
    expect(answer.body).toContain("gRPC needs HTTP/2");
  }
  const connect = await http1Post(`${M}/Version`, connectJson, Buffer.from("{}"));
  expect(connect.status).toBe(200);
  expect(JSON.parse(connect.body).version.tag).toBeString();
  const web = await http1Post(
    `${M}/Version`,
    { "content-type": "application/grpc-web+proto" },
    grpcFrame(Buffer.alloc(0)),
  );
  expect(web.status).toBe(200);
  expect(web.body).toContain("grpc-status: 0");
});

test("H1: a binary gRPC call whose upstream is unreachable is answered without reading its body", async () => {
  const answer = await within(
    5000,
    "Version to an apid without machined",
    rawHttp2Call({
      url: url(unreachable),
      path: `${M}/Version`,
      headers: { ...grpcHeaders, "grpc-encoding": "gzip" },
      body: grpcFrame(gzipSync(Buffer.alloc(1 << 20)), { compressed: true, length: 1 << 30 }),
      keepBodyOpen: true,
      ...tls(pki.reader),
    }),
  );
  expect(answer.bodyEnded).toBe(false);
  expect(answer.trailers["grpc-status"]).toBe("14");
});

test("H1: one call's body past 8 MiB is RESOURCE_EXHAUSTED, Connect and gRPC alike", async () => {
  const big = Buffer.alloc((8 << 20) + 1024, " ");
  const json = await within(
    10_000,
    "9 MB of JSON",
    rawHttp2Call({
      url: url(secure),
      path: `${M}/Version`,
      headers: connectJson,
      body: big,
      ...tls(pki.reader),
    }),
  );
  expect(connectCode(json.body)).toBe("resource_exhausted");
  const grpc = await within(
    10_000,
    "9 MB of gRPC",
    rawHttp2Call({
      url: url(secure),
      path: `${M}/Version`,
      headers: grpcHeaders,
      body: grpcFrame(big),
      ...tls(pki.reader),
    }),
  );
  expect(grpc.trailers["grpc-status"]).toBe("8");
});

test("H1: a method other than ApplyConfiguration may not send more than 64 KiB, on every protocol", async () => {
  for (const c of [
    { headers: connectJson, body: Buffer.alloc(100_000, " ") },
    { headers: grpcHeaders, body: grpcFrame(Buffer.alloc(100_000)) },
  ]) {
    const answer = await within(
      5000,
      "a 100 KB Version",
      rawHttp2Call({ url: url(secure), path: `${M}/Version`, ...c, ...tls(pki.reader) }),
    );
    const status = answer.trailers["grpc-status"] ?? connectCode(answer.body);
    expect(["8", "resource_exhausted"]).toContain(String(status));
  }
});

test("H1: requests held by calls in flight share one budget, whatever the protocol", async () => {
  // Two configs of 600 KB each that never finish arriving (only ApplyConfiguration may carry more
  // than 64 KiB): apid holds 1.2 MB of its 1.3 MB.
  const held = [
    { headers: connectJson, body: Buffer.alloc(600_000, " ") },
    { headers: grpcHeaders, body: grpcFrame(Buffer.alloc(600_000), { length: 700_000 }) },
  ].map((c) =>
    rawHttp2Call({
      url: url(secure),
      path: `${M}/ApplyConfiguration`,
      ...c,
      keepBodyOpen: true,
      ...tls(pki.admin),
    }).catch(() => undefined),
  );
  // A third is refused once apid holds the other two, on either path.
  await waitFor(
    async () => {
      const third = await within(
        5000,
        "a third large request",
        rawHttp2Call({
          url: url(secure),
          path: `${M}/ApplyConfiguration`,
          headers: grpcHeaders,
          body: grpcFrame(Buffer.alloc(200_000)),
          ...tls(pki.admin),
        }),
      );
      if (third.trailers["grpc-status"] !== "8") throw new Error(`answered ${third.trailers["grpc-status"]}`);
      return decodeURIComponent(String(third.trailers["grpc-message"]));
    },
    { what: "the third request refused", timeoutMs: 10_000, intervalMs: 50 },
  ).then((message) => expect(message).toContain("bytes of requests in flight, its limit"));
  const json = await within(
    5000,
    "a third large Connect request",
    rawHttp2Call({
      url: url(secure),
      path: `${M}/ApplyConfiguration`,
      headers: connectJson,
      body: Buffer.alloc(200_000, " "),
      ...tls(pki.admin),
    }),
  );
  expect(connectCode(json.body)).toBe("resource_exhausted");
  void held;
});

test("H2: a call whose body never ends does not hold its stream (nor its connection) past the deadline", async () => {
  const apid = await startApid({
    host: "127.0.0.1",
    port: 0,
    machinedSocket: machined.socketPath,
    mode: { kind: "secure", pkiDir: join(dir, "pki") },
    requestBodyTimeoutMs: 300,
    closeGraceMs: 200,
  });
  try {
    const call = (headers: Record<string, string>, body: Buffer) =>
      within(
        5000,
        `a body that never ends (${headers["content-type"]})`,
        rawHttp2Call({
          url: url(apid),
          path: `${M}/Version`,
          headers,
          body,
          keepBodyOpen: true,
          ...tls(pki.reader),
        }),
      );
    const grpc = await call(grpcHeaders, grpcFrame(Buffer.alloc(10), { length: 1000 }));
    expect(grpc.trailers["grpc-status"]).toBe("4");
    expect(decodeURIComponent(String(grpc.trailers["grpc-message"]))).toBe(
      "the request did not arrive within 0.3 s, the server's limit",
    );
    const json = await call(connectJson, Buffer.from('{"x'));
    expect(connectCode(json.body)).toBe("deadline_exceeded");
  } finally {
    await apid.close();
  }
});

/** A raw TLS connection that completes the handshake and then says nothing (no HTTP/2 preface). */
function silentTls(port: number, cert?: CertificateAndKey): Promise<{ closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    let closed = false;
    const socket = tlsConnect(
      { host: "127.0.0.1", port, ca: pki.ca.crt, cert: cert?.crt, key: cert?.key, rejectUnauthorized: false },
      () => resolve({ closed: () => closed }),
    );
    socket.resume();
    socket.on("close", () => {
      closed = true;
    });
    socket.on("error", reject);
  });
}

test("H2: connections doing nothing are closed: no handshake, no preface, an idle session; a call in progress keeps its own", async () => {
  const logDir = join(dir, "logs");
  mkdirSync(logDir, { recursive: true });
  writeFileSync(join(logDir, "quiet.log"), "one\n");
  const standIn = await startMachinedStandIn({ socketPath: join(dir, "quiet.sock"), logDir, filesRoot: dir });
  const apid = await startApid({
    host: "127.0.0.1",
    port: 0,
    machinedSocket: standIn.socketPath,
    mode: { kind: "secure", pkiDir: join(dir, "pki") },
    limits: { handshakeTimeoutMs: 300, idleTimeoutMs: 300 },
    closeGraceMs: 200,
  });
  const sessions = new Http2SessionManager(url(apid), undefined, tls(pki.reader));
  try {
    // A follow that says nothing for longer than the idle timeout: a call in progress.
    const client = createClient(
      MachineService,
      createGrpcTransport({ baseUrl: url(apid), sessionManager: sessions }),
    );
    const abort = new AbortController();
    const follow = client
      .logs({ id: "quiet", follow: true }, { signal: abort.signal })
      [Symbol.asyncIterator]();
    expect(new TextDecoder().decode((await follow.next()).value?.data)).toBe("one\n");

    const raw = await holdConnections({ port: apid.port, count: 1 });
    const noPreface = await silentTls(apid.port, pki.reader);
    const idle = http2.connect(url(apid), tls(pki.reader));
    idle.on("error", () => {});
    let idleClosed = false;
    idle.on("close", () => {
      idleClosed = true;
    });
    await waitFor(() => (raw.open() === 0 ? true : undefined), {
      what: "no handshake: closed",
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    await waitFor(() => (noPreface.closed() ? true : undefined), {
      what: "no preface: closed",
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    await waitFor(() => (idleClosed ? true : undefined), {
      what: "an idle session: closed",
      timeoutMs: 10_000,
      intervalMs: 20,
    });

    // The follow outlived them all, and still streams.
    writeFileSync(join(logDir, "quiet.log"), "one\ntwo\n");
    expect(new TextDecoder().decode((await follow.next()).value?.data)).toBe("two\n");
    abort.abort();
    await follow.return?.();
  } finally {
    sessions.abort();
    await apid.close();
    await standIn.close();
  }
});

test("H2: under apid's real fd limit (1024), 1,100 idle connections do not lock an admin out", async () => {
  const port = await freePort();
  const sessions: Http2SessionManager[] = [];
  const adminCall = () => {
    const sessionManager = new Http2SessionManager(`https://127.0.0.1:${port}`, undefined, tls(pki.admin));
    sessions.push(sessionManager);
    const transport = createGrpcTransport({ baseUrl: `https://127.0.0.1:${port}`, sessionManager });
    return createClient(MachineService, transport).hostname({}, { timeoutMs: 5000 });
  };
  try {
    const answer = await callDuringConnectionFlood({
      argv: [
        process.execPath,
        join(import.meta.dir, "../src/main.ts"),
        "--listen",
        `127.0.0.1:${port}`,
        "--machined-socket",
        machined.socketPath,
        "--pki-dir",
        join(dir, "pki"),
      ],
      port,
      call: adminCall,
    });
    expect(answer.hostname).toBe("stand-in");
  } finally {
    for (const s of sessions) s.abort();
  }
}, 60_000);
