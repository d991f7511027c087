// The real thing: HTTP/2 cleartext on a unix socket, called with connect-node's gRPC transport.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import { connect } from "node:net";
import { join } from "node:path";
import { BRONZE_VERSION, LogLineDecoder, MachineService, ROLE_HEADER, type Role } from "@bronze/api";
import { eventually, runningAsRoot } from "@bronze/testing";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { InProcessRunner } from "../supervisor/runners/in-process-runner.ts";
import type { LogSink } from "../supervisor/service.ts";
import {
  type ApiServer,
  ApiServerError,
  CONFIG_REQUEST_MAX_BYTES,
  REQUEST_MAX_BYTES,
  startApiServer,
} from "./api-server.ts";
import { type Fixture, makeFixture } from "./testing/api-fixture.ts";

let f: Fixture;
let server: ApiServer;
let socketPath: string;
let sink: LogSink | undefined;

beforeAll(async () => {
  f = makeFixture();
  socketPath = join(f.dir, "run", "machine.sock");
  f.supervisor.register({
    id: "echo",
    dependsOn: [],
    restart: "forever",
    runner: new InProcessRunner(async ({ signal, log }) => {
      sink = log;
      log.line("stdout", "echo started");
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
    }),
  });
  f.supervisor.start("echo");
  await f.supervisor.waitFor("echo", (s) => s.state === "Running");
  f.store.save(
    "version: v1alpha1\nmachine:\n  type: worker\n  token: abcdef.0123456789abcdef\ncluster:\n  secret: c2VjcmV0\n",
  );
  mkdirSync(join(f.ctx.filesRoot, "etc"));
  writeFileSync(join(f.ctx.filesRoot, "etc", "hosts"), "127.0.0.1 localhost\n");
  server = await startApiServer({ socketPath, context: f.ctx, closeGraceMs: 500 });
});

afterAll(async () => {
  await server?.close();
  await f?.cleanup();
});

function withRole(role: Role): Interceptor {
  return (next) => (req) => {
    req.header.set(ROLE_HEADER, role);
    return next(req);
  };
}

function client(role: Role, protocol: "grpc" | "connect" = "grpc") {
  const options = {
    baseUrl: "http://localhost",
    httpVersion: "2" as const,
    nodeOptions: { createConnection: () => connect(socketPath) },
    interceptors: [withRole(role)],
  };
  const transport = protocol === "grpc" ? createGrpcTransport(options) : createConnectTransport(options);
  return createClient(MachineService, transport);
}

async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected a failure");
}

test("the socket is mode 0600", () => {
  const st = statSync(socketPath);
  expect(st.isSocket()).toBe(true);
  expect(st.mode & 0o777).toBe(0o600);
});

test.skipIf(!runningAsRoot())(
  "with a socket group the socket is root:<group> 0660 (apid's uid may connect; needs root)",
  async () => {
    const path = join(f.dir, "grouped", "machine.sock");
    const grouped = await startApiServer({
      socketPath: path,
      context: f.ctx,
      closeGraceMs: 100,
      socketGroup: 50,
    });
    try {
      const st = statSync(path);
      expect(st.mode & 0o777).toBe(0o660);
      expect([st.uid, st.gid]).toEqual([0, 50]);
    } finally {
      await grouped.close();
    }
  },
);

test("Version over gRPC and over the Connect protocol", async () => {
  const v = await client("os:reader").version({});
  expect(v.version?.tag).toBe(BRONZE_VERSION);
  expect(v.platform).toBe("container");
  const c = await client("os:reader", "connect").version({});
  expect(c.version?.tag).toBe(BRONZE_VERSION);
});

test("Logs of a real supervised service: the tail, then live lines", async () => {
  const abort = new AbortController();
  const seen: string[] = [];
  const decoder = new LogLineDecoder();
  const reading = (async () => {
    try {
      for await (const m of client("os:reader").logs(
        { id: "echo", follow: true, tailLines: -1 },
        { signal: abort.signal },
      )) {
        seen.push(...decoder.push(m.data));
        if (seen.length === 1) sink?.line("stdout", "live over the socket");
        if (seen.length === 2) abort.abort();
      }
    } catch (e) {
      if (ConnectError.from(e).code !== Code.Canceled) throw e;
    }
  })();
  await reading;
  expect(seen).toEqual(["echo started", "live over the socket"]);
});

test("a reader may not Reboot nor Read", async () => {
  const reboot = await failure(client("os:reader").reboot({}));
  expect(reboot.code).toBe(Code.PermissionDenied);
  expect(reboot.rawMessage).toContain("os:reader may not call /bronze.machine.v1.MachineService/Reboot");
  const read = await failure(
    (async () => {
      for await (const _ of client("os:reader").read({ path: "/etc/hosts" })) {
        // nothing
      }
    })(),
  );
  expect(read.code).toBe(Code.PermissionDenied);
  expect(read.rawMessage).toContain("/bronze.machine.v1.MachineService/Read");
  expect(f.sequencer.calls).toEqual([]);
  // An admin reads.
  const chunks = [];
  for await (const c of client("os:admin").read({ path: "/etc/hosts" })) chunks.push(c.data);
  expect(Buffer.concat(chunks).toString()).toBe("127.0.0.1 localhost\n");
});

test("Read and Copy stream megabytes over the socket intact", async () => {
  const data = Buffer.alloc(5 * 1024 * 1024);
  for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(i, i);
  writeFileSync(join(f.ctx.filesRoot, "etc", "big.bin"), data);
  const chunks: Uint8Array[] = [];
  for await (const c of client("os:admin").read({ path: "/etc/big.bin" })) chunks.push(c.data);
  expect(Buffer.compare(Buffer.concat(chunks), data)).toBe(0);
  let archived = 0;
  for await (const c of client("os:admin").copy({ rootPath: "/etc" })) archived += c.data.length;
  expect(archived).toBeGreaterThan(data.length);
  expect(archived % 512).toBe(0);
});

test("GetConfiguration is redacted for a reader, not for an admin", async () => {
  const reader = await client("os:reader").getConfiguration({});
  const text = new TextDecoder().decode(reader.data);
  expect(reader.redacted).toBe(true);
  expect(text).not.toContain("abcdef.0123456789abcdef");
  expect(text).not.toContain("c2VjcmV0");
  expect(text).toContain('token: "******"');
  const admin = await client("os:admin").getConfiguration({});
  expect(new TextDecoder().decode(admin.data)).toContain("abcdef.0123456789abcdef");
});

test("a missing role header is Unauthenticated", async () => {
  const transport = createGrpcTransport({
    baseUrl: "http://localhost",
    nodeOptions: { createConnection: () => connect(socketPath) },
  });
  const err = await failure(createClient(MachineService, transport).version({}));
  expect(err.code).toBe(Code.Unauthenticated);
});

test("a stale socket file (left by a crash) is replaced; a non-socket file is refused", async () => {
  const stale = join(f.dir, "run", "stale.sock");
  // A process that listens then dies without cleaning up leaves its socket file behind.
  const crashed = Bun.spawnSync([
    process.execPath,
    "-e",
    `require("node:net").createServer().listen(${JSON.stringify(stale)}, () => process.exit(0))`,
  ]);
  expect(crashed.exitCode).toBe(0);
  expect(statSync(stale).isSocket()).toBe(true);
  const s = await startApiServer({ socketPath: stale, context: f.ctx, closeGraceMs: 100 });
  const transport = createGrpcTransport({
    baseUrl: "http://localhost",
    nodeOptions: { createConnection: () => connect(stale) },
    interceptors: [withRole("os:reader")],
  });
  expect((await createClient(MachineService, transport).hostname({})).hostname).toBe("node-1");
  await s.close();
  const regular = join(f.dir, "run", "not-a-socket");
  writeFileSync(regular, "keep me");
  const err = await startApiServer({ socketPath: regular, context: f.ctx }).catch((e) => e);
  expect(err).toBeInstanceOf(ApiServerError);
  expect((err as ApiServerError).code).toBe("NotASocket");
  expect(readFileSync(regular, "utf8")).toBe("keep me");
});

test("close ends followers and removes the socket", async () => {
  const path = join(f.dir, "run", "closing.sock");
  // A grace period longer than the test's timeout: close returns only if it ends the followers itself.
  const s = await startApiServer({ socketPath: path, context: f.ctx, closeGraceMs: 600_000 });
  const transport = createGrpcTransport({
    baseUrl: "http://localhost",
    nodeOptions: { createConnection: () => connect(path) },
    interceptors: [withRole("os:reader")],
  });
  let lines = 0;
  const follower = (async () => {
    const decoder = new LogLineDecoder();
    try {
      for await (const m of createClient(MachineService, transport).logs({
        id: "echo",
        follow: true,
        tailLines: 1,
      })) {
        lines += decoder.push(m.data).length;
      }
      return `ended after ${lines}`;
    } catch (e) {
      return `failed: ${ConnectError.from(e).code}`;
    }
  })();
  // The tail line has arrived: the follower is being served.
  await eventually("the follower's first line", () => lines === 1, 10_000, 5);
  await s.close();
  expect(await follower).toBe("ended after 1");
  expect(() => statSync(path)).toThrow(/ENOENT/);
});

test("a client resetting its connection or ending its session is not reported as an internal error; a real fault still is", async () => {
  const errors: unknown[] = [];
  const path = join(f.dir, "run", "reset.sock");
  const own = await startApiServer({
    socketPath: path,
    context: f.ctx,
    closeGraceMs: 200,
    onInternalError: (e) => errors.push(e),
  });
  /** Opens an HTTP/2 session (preface and an empty SETTINGS frame), then sends `then` or resets. */
  const session = (then: Buffer | "reset") =>
    new Promise<void>((resolve, reject) => {
      const socket = connect(path, () => {
        socket.pause();
        socket.write(Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1"));
        socket.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]), () => {
          if (then === "reset") {
            // Closing with the server's SETTINGS unread makes the kernel reset the connection
            // (ECONNRESET on machined's side).
            socket.resetAndDestroy();
            resolve();
          } else socket.write(then, () => resolve());
        });
      });
      socket.once("error", reject);
    });
  try {
    await session("reset");
    // A peer ending its session with GOAWAY(CANCEL), as apid does when it stops with calls open.
    await session(Buffer.from([0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8]));
    // Then a real fault on a second connection: a SETTINGS frame 5 bytes long (a protocol error).
    // The reset and the GOAWAY reached machined first, so once the fault is reported, they were not.
    await session(Buffer.from([0, 0, 5, 4, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5]));
    await eventually("the protocol error reported", () => errors.length > 0, 10_000, 5);
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(["ERR_HTTP2_ERROR"]);
  } finally {
    await own.close();
  }
});

test("request size limits: 64 KiB for a call, 8 MiB for ApplyConfiguration", async () => {
  // Past 64 KiB: refused before any handler, naming the limit.
  const big = await failure(
    (async () => {
      for await (const _ of client("os:admin").read({ path: `/${"a/".repeat(40_000)}` })) {
        // nothing
      }
    })(),
  );
  expect(big.code).toBe(Code.ResourceExhausted);
  expect(big.rawMessage).toContain(String(REQUEST_MAX_BYTES));
  // A config of 100 KB is read, and judged on its content (here: not valid).
  const config = `version: v1alpha1\n${"# padding\n".repeat(10_000)}`;
  const apply = await failure(
    client("os:admin").applyConfiguration({ data: new TextEncoder().encode(config), dryRun: true }),
  );
  expect(apply.code).toBe(Code.InvalidArgument);
  // Past 8 MiB: refused too.
  const huge = await failure(
    client("os:admin").applyConfiguration({
      data: new Uint8Array(CONFIG_REQUEST_MAX_BYTES + 1),
      dryRun: true,
    }),
  );
  expect(huge.code).toBe(Code.ResourceExhausted);
});

test("a compressed request is refused: machined accepts no compression", async () => {
  const session = http2.connect("http://localhost", {
    createConnection: () => connect(socketPath),
  });
  try {
    const status = await new Promise<string | undefined>((resolve, reject) => {
      const req = session.request({
        ":method": "POST",
        ":path": "/bronze.machine.v1.MachineService/Version",
        "content-type": "application/grpc",
        "grpc-encoding": "gzip",
        te: "trailers",
        [ROLE_HEADER]: "os:reader",
      });
      let grpcStatus: string | undefined;
      req.on("response", (h) => {
        grpcStatus ??= h["grpc-status"] as string | undefined;
      });
      req.on("trailers", (t) => {
        grpcStatus ??= t["grpc-status"] as string | undefined;
      });
      req.on("end", () => resolve(grpcStatus));
      req.on("error", reject);
      req.resume();
      req.end(Buffer.from([1, 0, 0, 0, 0])); // flag 1: "compressed"
    });
    expect(status).toBe(String(Code.Unimplemented));
  } finally {
    session.close();
  }
});
