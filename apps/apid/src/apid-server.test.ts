// apid over real TLS on 127.0.0.1, in front of machined stand-ins on unix sockets.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import http2 from "node:http2";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { BRONZE_VERSION, LogLineDecoder, LogsRequestSchema, ROLE_HEADER } from "@bronze/api";
import { type CertificateAndKey, inspectCertificate, issueCertificate } from "@bronze/pki";
import { eventually } from "@bronze/testing";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type ApidFixture, startApidFixture } from "../test/apid-fixture.ts";
import { startApid } from "./apid-server.ts";

let f: ApidFixture;

beforeAll(async () => {
  f = await startApidFixture();
});

afterAll(async () => {
  await f?.close();
});

async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected a failure");
}

/** The lines of Logs messages (whole lines of text in bytes chunks). */
function linesOf(messages: readonly { data: Uint8Array }[]): string[] {
  const decoder = new LogLineDecoder();
  return [...messages.flatMap((m) => decoder.push(m.data)), ...decoder.end()];
}

async function drain<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const m of stream) out.push(m);
  return out;
}

test("Version over gRPC, Connect+JSON and gRPC-web on the same port", async () => {
  for (const protocol of ["grpc", "connect", "grpc-web"] as const) {
    const v = await f.client(f.cp, f.pki.reader, protocol).version({});
    expect(v.version?.tag).toBe(BRONZE_VERSION);
    expect(v.platform).toBe("container");
  }
  expect(f.cpMachined.calls.at(-1)).toMatchObject({ role: "os:reader", forwarded: null });
});

test("each role against a read, an operate and an admin method", async () => {
  const matrix: [string, CertificateAndKey, boolean, boolean, boolean][] = [
    ["os:reader", f.pki.reader, true, false, false],
    ["os:operator", f.pki.operator, true, true, false],
    ["os:admin", f.pki.admin, true, true, true],
  ];
  for (const [role, cert, version, reboot, read] of matrix) {
    const c = f.client(f.cp, cert);
    expect((await c.version({})).version?.tag).toBe(BRONZE_VERSION);
    expect(f.cpMachined.calls.at(-1)?.role).toBe(role);
    const before = f.cpMachined.reboots();
    if (reboot) {
      await c.reboot({});
      expect(f.cpMachined.reboots()).toBe(before + 1);
    } else {
      const e = await failure(c.reboot({}));
      expect(e.code).toBe(Code.PermissionDenied);
      expect(e.rawMessage).toBe(`${role} may not call /bronze.machine.v1.MachineService/Reboot`);
      expect(f.cpMachined.reboots()).toBe(before);
    }
    const reading = drain(c.read({ path: "/etc/hosts" }));
    if (read && version) {
      const chunks = await reading;
      expect(Buffer.concat(chunks.map((m) => m.data)).toString()).toBe("127.0.0.1 localhost\n");
    } else {
      const e = await failure(reading);
      expect(e.code).toBe(Code.PermissionDenied);
      expect(e.rawMessage).toBe(`${role} may not call /bronze.machine.v1.MachineService/Read`);
    }
  }
});

/**
 * Whether the TLS handshake with `cert` leaves a usable connection ("open": apid's HTTP/2 server
 * sends its SETTINGS, which it does only once it accepted the client) or apid drops it.
 */
function handshake(port: number, cert: CertificateAndKey | undefined): Promise<string> {
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host: "127.0.0.1",
      port,
      ca: f.pki.ca.crt,
      cert: cert?.crt,
      key: cert?.key,
      ALPNProtocols: ["h2"],
    });
    let settled = false;
    const settle = (result: string) => {
      if (settled) return;
      settled = true;
      resolve(result);
      socket.destroy();
    };
    socket.once("data", () => settle("open"));
    socket.on("error", (e) => settle(`refused ${e.message}`));
    socket.on("close", () => settle("refused (closed)"));
  });
}

test("L5: every privileged call leaves an audit line (who, what, where, outcome); read-only calls do not", async () => {
  const from = f.cpLog.length;
  const node = `127.0.0.1:${f.worker.port}`;
  await f.client(f.cp, f.pki.operator).version({});
  await f.client(f.cp, f.pki.operator).reboot({});
  await failure(f.client(f.cp, f.pki.reader, "connect").reboot({}));
  await f.client(f.cp, f.pki.admin, "grpc-web").reboot({}, { headers: { "x-bronze-node": node } });
  await drain(f.client(f.cp, f.pki.admin).read({ path: "/etc/hosts" }));
  const serial = (cert: CertificateAndKey) => inspectCertificate(cert.crt).serialNumber;
  const R = "/bronze.machine.v1.MachineService/";
  expect(f.cpLog.slice(from).filter((l) => l.startsWith("apid: audit:"))).toEqual([
    `apid: audit: method=${R}Reboot role=os:operator cn="operator" serial=${serial(f.pki.operator)} node=local outcome=ok`,
    `apid: audit: method=${R}Reboot role=- cn="reader" serial=${serial(f.pki.reader)} node=- outcome=permission_denied`,
    `apid: audit: method=${R}Reboot role=os:admin cn="admin" serial=${serial(f.pki.admin)} node=${node} outcome=ok`,
    `apid: audit: method=${R}Read role=os:admin cn="admin" serial=${serial(f.pki.admin)} node=local outcome=ok`,
  ]);
});

test("no certificate, another CA's, an expired one, a serverAuth-only one: refused before machined", async () => {
  const seen = f.cpMachined.calls.length;
  expect(await handshake(f.cp.port, f.pki.reader)).toBe("open");
  expect(await handshake(f.cp.port, undefined)).toContain("CERTIFICATE_REQUIRED");
  for (const cert of [f.pki.fromOtherCa, f.pki.expired, f.pki.serverAuthOnly]) {
    expect(await handshake(f.cp.port, cert)).toStartWith("refused");
  }
  for (const cert of [undefined, f.pki.fromOtherCa, f.pki.expired, f.pki.serverAuthOnly]) {
    const e = await failure(f.client(f.cp, cert).version({}));
    expect(e).toBeInstanceOf(ConnectError);
  }
  expect(f.cpMachined.calls.length).toBe(seen);
  // A good certificate still works afterwards.
  expect((await f.client(f.cp, f.pki.reader).hostname({})).hostname).toBe("cp-1");
});

test("a client-sent role header is replaced by the certificate's role", async () => {
  const e = await failure(
    f.client(f.cp, f.pki.reader).reboot({}, { headers: { [ROLE_HEADER]: "os:admin" } }),
  );
  expect(e.code).toBe(Code.PermissionDenied);
  await f.client(f.cp, f.pki.reader).version({}, { headers: { [ROLE_HEADER]: "os:admin" } });
  expect(f.cpMachined.calls.at(-1)?.role).toBe("os:reader");
});

test("the impersonator certificate calls nothing directly", async () => {
  const e = await failure(f.client(f.cp, f.pki.impersonator).version({}));
  expect(e.code).toBe(Code.PermissionDenied);
  expect(e.rawMessage).toContain(
    "os:impersonator may not call /bronze.machine.v1.MachineService/Version directly",
  );
});

test("x-bronze-node: the control plane forwards to the worker's apid, carrying the role", async () => {
  const node = `127.0.0.1:${f.worker.port}`;
  let header: Headers | undefined;
  const v = await f
    .client(f.cp, f.pki.operator)
    .hostname({}, { headers: { "x-bronze-node": node }, onHeader: (h) => (header = h) });
  expect(v.hostname).toBe("worker-1");
  expect(header?.get("x-bronze-node")).toBe(node);
  expect(f.workerMachined.calls.at(-1)).toMatchObject({
    method: "/bronze.machine.v1.MachineService/Hostname",
    role: "os:operator",
    forwarded: null,
  });
  // The role is checked on the way out and again at the node: an operator reboots, a reader does not.
  const before = f.workerMachined.reboots();
  await f.client(f.cp, f.pki.operator).reboot({}, { headers: { "x-bronze-node": node } });
  expect(f.workerMachined.reboots()).toBe(before + 1);
  const e = await failure(f.client(f.cp, f.pki.reader).reboot({}, { headers: { "x-bronze-node": node } }));
  expect(e.code).toBe(Code.PermissionDenied);
  expect(f.workerMachined.reboots()).toBe(before + 1);
  // A stream through two apids.
  const lines = linesOf(
    await drain(f.client(f.cp, f.pki.admin).logs({ id: "echo" }, { headers: { "x-bronze-node": node } })),
  );
  expect(lines).toEqual(["first line", "second line"]);
});

test("x-bronze-node: only apid's port; every failure to reach a node is the same Unavailable", async () => {
  const port = await failure(
    f.client(f.cp, f.pki.reader).version({}, { headers: { "x-bronze-node": "127.0.0.1:22" } }),
  );
  expect(port.code).toBe(Code.PermissionDenied);
  expect(port.rawMessage).toBe(
    `x-bronze-node: apid forwards calls only to other nodes' apids, on port ${f.worker.port}: not to 127.0.0.1:22`,
  );
  // Nothing listens on 127.0.0.2 (the worker is on 127.0.0.1): refused; a certificate naming the
  // host only in its CN: the same answer, for every protocol; the reason is in apid's log.
  for (const protocol of ["grpc", "connect"] as const) {
    for (const node of ["127.0.0.2", "localhost"]) {
      const e = await failure(
        f.client(f.cp, f.pki.reader, protocol).version({}, { headers: { "x-bronze-node": node } }),
      );
      expect(e.code).toBe(Code.Unavailable);
      expect(e.rawMessage).toBe(
        `cannot reach node ${node}:${f.worker.port}: no apid of this cluster answered there (apid's log has the details)`,
      );
    }
  }
  expect(
    f.cpLog.some((l) => l.includes(`cannot forward to 127.0.0.2:${f.worker.port}: connect ECONNREFUSED`)),
  ).toBe(true);
  expect(
    f.cpLog.some((l) =>
      l.includes(
        `cannot forward to localhost:${f.worker.port}: the server certificate does not name localhost`,
      ),
    ),
  ).toBe(true);
});

test("a reader reading a file through a forward is refused", async () => {
  const node = `127.0.0.1:${f.worker.port}`;
  const seen = f.workerMachined.calls.length;
  const e = await failure(
    drain(f.client(f.cp, f.pki.reader).read({ path: "/etc/hosts" }, { headers: { "x-bronze-node": node } })),
  );
  expect(e.code).toBe(Code.PermissionDenied);
  expect(f.workerMachined.calls.length).toBe(seen);
});

test("a worker (no impersonator certificate) refuses to forward", async () => {
  const e = await failure(
    f.client(f.worker, f.pki.admin).version({}, { headers: { "x-bronze-node": `127.0.0.1:${f.cp.port}` } }),
  );
  expect(e.code).toBe(Code.FailedPrecondition);
  expect(e.rawMessage).toContain("no impersonator certificate (only control-plane nodes forward calls)");
});

test("a forwarded call is not forwarded again", async () => {
  const e = await failure(
    f.client(f.worker, f.pki.impersonator).version(
      {},
      {
        headers: {
          "x-bronze-node": `127.0.0.1:${f.cp.port}`,
          "x-bronze-forwarded": "1",
          [ROLE_HEADER]: "os:admin",
        },
      },
    ),
  );
  expect(e.code).toBe(Code.FailedPrecondition);
  expect(e.rawMessage).toContain("never forwarded again");
});

test("Logs follow passes through, and a client going away cancels the stream at machined", async () => {
  const log = join(f.logDir, "follow.log");
  writeFileSync(log, "one\n");
  const abort = new AbortController();
  const seen: string[] = [];
  const decoder = new LogLineDecoder();
  const reading = (async () => {
    try {
      for await (const m of f
        .client(f.cp, f.pki.reader)
        .logs({ id: "follow", follow: true }, { signal: abort.signal })) {
        seen.push(...decoder.push(m.data));
        if (seen.length === 1) writeFileSync(log, "one\ntwo\n");
        if (seen.length === 2) abort.abort();
      }
    } catch (e) {
      if (ConnectError.from(e).code !== Code.Canceled) throw e;
    }
  })();
  await reading;
  expect(seen).toEqual(["one", "two"]);
  await eventually("machined's followers gone", () => f.cpMachined.followers() === 0, 5000, 20);
});

test("M1: apid refuses a role's streaming calls past its share before machined sees them; a freed slot is taken again", async () => {
  const apid = await startApid({
    host: "127.0.0.1",
    port: 0,
    machinedSocket: f.cpMachined.socketPath,
    mode: { kind: "secure", pkiDir: f.cpPkiDir },
    closeGraceMs: 500,
    streamsPerRole: 2,
  });
  writeFileSync(join(f.logDir, "capped.log"), "one\n");
  const held: AbortController[] = [];
  /** A reader's `logs --follow` that has its first line: a slot held. */
  const follow = async (protocol: "grpc" | "connect", cert = f.pki.reader) => {
    const abort = new AbortController();
    const stream = f
      .client(apid, cert, protocol)
      .logs({ id: "capped", follow: true }, { signal: abort.signal })
      [Symbol.asyncIterator]();
    await stream.next(); // throws when refused
    held.push(abort);
  };
  try {
    const before = f.cpMachined.calls.length;
    await follow("grpc");
    await follow("connect");
    expect(f.cpMachined.followers()).toBe(2);
    // a third, over the pass-through and over connect: refused by apid, naming the cap
    for (const protocol of ["grpc", "connect"] as const) {
      const e = await failure(follow(protocol));
      expect(e.code).toBe(Code.ResourceExhausted);
      expect(e.rawMessage).toContain("os:reader has 2 streaming calls open, the most one role may have (2)");
    }
    expect(f.cpMachined.calls.length - before).toBe(2); // the refused ones never reached machined
    // another role has a share of its own; unary calls are not counted
    await follow("grpc", f.pki.admin);
    expect((await f.client(apid, f.pki.reader).version({})).version?.tag).toBe(BRONZE_VERSION);
    // a follow ending frees its slot
    held.shift()?.abort();
    await eventually(
      "the cancelled follow is gone at machined",
      () => f.cpMachined.followers() === 2,
      5000,
      20,
    );
    await eventually(
      "a reader's follow is served again",
      () =>
        follow("grpc").then(
          () => true,
          () => false,
        ),
      5000,
      20,
    );
  } finally {
    for (const abort of held) abort.abort();
    await apid.close();
  }
});

/** The raw gRPC response body of Logs{id} from `apid` to a client that accepts gzip. */
async function rawLogsBody(port: number, id: string): Promise<{ encoding: unknown; body: Buffer }> {
  const session = http2.connect(`https://127.0.0.1:${port}`, {
    ca: f.pki.ca.crt,
    cert: f.pki.reader.crt,
    key: f.pki.reader.key,
  });
  try {
    const req = session.request({
      ":method": "POST",
      ":path": "/bronze.machine.v1.MachineService/Logs",
      "content-type": "application/grpc",
      "grpc-accept-encoding": "gzip",
      te: "trailers",
    });
    const message = toBinary(LogsRequestSchema, create(LogsRequestSchema, { id }));
    const envelope = Buffer.alloc(5 + message.length);
    envelope.writeUInt32BE(message.length, 1);
    envelope.set(message, 5);
    req.end(envelope);
    const headers = new Promise<http2.IncomingHttpHeaders>((resolve) => req.once("response", resolve));
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return { encoding: (await headers)["grpc-encoding"], body: Buffer.concat(chunks) };
  } finally {
    session.close();
  }
}

test("no compression on either hop: apid does not ask machined for it, nor gzips its responses", async () => {
  // Flow control counts compressed bytes: with gzip, an idle reader let ~200 times the window through.
  writeFileSync(join(f.logDir, "compressible.log"), `${"z".repeat(99)}\n`.repeat(200));
  const { encoding, body } = await rawLogsBody(f.cp.port, "compressible");
  expect(["gzip", "identity", undefined]).toContain(encoding as string | undefined);
  expect(body.length).toBeGreaterThan(20_000);
  // Every envelope has its compressed flag clear.
  let messages = 0;
  for (let at = 0; at < body.length; at += 5 + body.readUInt32BE(at + 1)) {
    expect(body[at]).toBe(0);
    messages++;
  }
  expect(messages).toBe(1);
  const call = f.cpMachined.calls.at(-1);
  expect(call?.method).toBe("/bronze.machine.v1.MachineService/Logs");
  expect(call?.acceptEncoding ?? "").not.toContain("gzip");
});

test("a slow reader holds machined back (backpressure), and Logs streams as Connect JSON too", async () => {
  const big = join(f.logDir, "big.log");
  writeFileSync(big, `${"y".repeat(199)}\n`.repeat(500_000)); // 100 MB
  const readBefore = f.cpMachined.logBytesRead();
  const sentBefore = f.cpMachined.logBytesSent();
  const abort = new AbortController();
  const stream = f.client(f.cp, f.pki.reader).logs({ id: "big" }, { signal: abort.signal });
  const it = stream[Symbol.asyncIterator]();
  expect((await it.next()).done).toBe(false);
  // With backpressure the stand-in stops once the buffers between it and this idle reader are full
  // (HTTP/2 stream windows: 1 MiB from machined to apid, HTTP2_CLIENT_SETTINGS; this client's 64 KiB
  // default to apid; a 256 KiB message or so in flight); without it, it would send all 100 MB. Wait
  // until its sending stops growing (buffers fill at the machine's pace), then check the bound.
  // Measured here: 1.31 MB sent, one 1 MiB read. (It was 45 MiB while responses were gzipped: flow
  // control counts compressed bytes, and this file compresses ~200 to 1.)
  let sent = f.cpMachined.logBytesSent() - sentBefore;
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    await Bun.sleep(300);
    const now = f.cpMachined.logBytesSent() - sentBefore;
    if (now === sent) break;
    sent = now;
  }
  expect(sent).toBeGreaterThan(0);
  expect(sent).toBeLessThan(3 * 1024 * 1024);
  // The stand-in reads its file 1 MiB at a time.
  expect(f.cpMachined.logBytesRead() - readBefore).toBeLessThanOrEqual(4 * 1024 * 1024);
  abort.abort();
  await it.next().catch(() => undefined);
  await eventually("machined's followers gone", () => f.cpMachined.followers() === 0, 5000, 20);

  const json = await drain(f.client(f.cp, f.pki.reader, "connect").logs({ id: "echo" }));
  expect(linesOf(json)).toEqual(["first line", "second line"]);
});

function servedCertificate(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      {
        host: "127.0.0.1",
        port,
        ca: f.pki.ca.crt,
        cert: f.pki.reader.crt,
        key: f.pki.reader.key,
        ALPNProtocols: ["h2"],
      },
      () => {
        const cert = socket.getPeerCertificate();
        socket.destroy();
        resolve(`${cert.subject.CN} ${cert.fingerprint256}`);
      },
    );
    socket.on("error", reject);
  });
}

test("a renewed server certificate is served without a restart", async () => {
  const before = await servedCertificate(f.cp.port);
  expect(before.startsWith("node ")).toBe(true);
  const renewed = await issueCertificate({
    ca: f.pki.ca,
    commonName: "node-renewed",
    usage: "server",
    ipAddresses: ["127.0.0.1"],
  });
  const reloads = f.cp.reloads();
  writeFileSync(join(f.cpPkiDir, "server.key"), renewed.key);
  writeFileSync(join(f.cpPkiDir, "server.crt"), renewed.crt);
  await eventually("apid reloaded its certificate", () => f.cp.reloads() > reloads, 5000, 20);
  expect((await servedCertificate(f.cp.port)).startsWith("node-renewed ")).toBe(true);
  expect((await f.client(f.cp, f.pki.reader).version({})).version?.tag).toBe(BRONZE_VERSION);
});

test("maintenance mode: self-signed, no client certificate, a few methods, fingerprint printed", async () => {
  const lines: string[] = [];
  const m = await startApid({
    host: "127.0.0.1",
    port: 0,
    machinedSocket: f.cpMachined.socketPath,
    mode: { kind: "maintenance", hostname: "fresh" },
    log: (line) => lines.push(line),
  });
  try {
    expect(m.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(lines).toContain(`apid: maintenance mode, certificate fingerprint sha256:${m.fingerprint}`);
    const fp = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: "127.0.0.1", port: m.port, rejectUnauthorized: false }, () => {
        resolve(socket.getPeerCertificate().fingerprint256.replaceAll(":", "").toLowerCase());
        socket.destroy();
      });
      socket.on("error", reject);
    });
    expect(fp).toBe(m.fingerprint as string);
    const { createGrpcTransport } = await import("@connectrpc/connect-node");
    const { createClient } = await import("@connectrpc/connect");
    const { MachineService } = await import("@bronze/api");
    const transport = createGrpcTransport({
      baseUrl: `https://127.0.0.1:${m.port}`,
      nodeOptions: { rejectUnauthorized: false },
    });
    const c = createClient(MachineService, transport);
    f.cpMachined.setMaintenance(true);
    expect((await c.version({})).version?.tag).toBe(BRONZE_VERSION);
    expect(f.cpMachined.calls.at(-1)?.role).toBe("os:maintenance");
    await c.applyConfiguration({});
    expect(f.cpMachined.calls.at(-1)).toMatchObject({ role: "os:maintenance" });
    const e = await failure(drain(c.read({ path: "/etc/hosts" })));
    expect(e.code).toBe(Code.PermissionDenied);
    expect(e.rawMessage).toContain("not available in maintenance mode");
    // The node configured (machined says so), this apid still up: its calls are refused there.
    f.cpMachined.setMaintenance(false);
    const late = await failure(c.applyConfiguration({ dryRun: true }));
    expect(late.code).toBe(Code.FailedPrecondition);
    expect(late.rawMessage).toContain("the node has left maintenance mode");
    expect(lines.filter((l) => l.startsWith("apid: audit:"))).toEqual([
      "apid: audit: method=/bronze.machine.v1.MachineService/ApplyConfiguration role=os:maintenance cn=- serial=- node=local outcome=ok",
      "apid: audit: method=/bronze.machine.v1.MachineService/Read role=- cn=- serial=- node=- outcome=permission_denied",
      "apid: audit: method=/bronze.machine.v1.MachineService/ApplyConfiguration role=os:maintenance cn=- serial=- node=local outcome=failed_precondition",
    ]);
  } finally {
    f.cpMachined.setMaintenance(false);
    await m.close();
  }
});
