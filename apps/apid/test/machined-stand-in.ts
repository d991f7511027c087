// A stand-in for machined's API server (DESIGN §7: "apid with a machined stand-in in unit tests"):
// MachineService over HTTP/2 cleartext on a unix socket, enforcing ROLE_HEADER like machined does,
// with a few real handlers: Version, Hostname, Logs (a real file, follow), Read (real files), Reboot.
import { open, readFile, stat } from "node:fs/promises";
import http2 from "node:http2";
import { join } from "node:path";
import {
  BRONZE_VERSION,
  isAllowed,
  isRole,
  type LogLine,
  LogLineSchema,
  type LogsRequest,
  MachineService,
  ROLE_HEADER,
  type Role,
} from "@bronze/api";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { closeOnAbort } from "../src/close-on-abort.ts";

export interface StandInCall {
  readonly method: string;
  readonly role: string | null;
  readonly forwarded: string | null;
  /** The compressions the caller accepts for responses (grpc-accept-encoding). */
  readonly acceptEncoding: string | null;
}

export interface MachinedStandIn {
  readonly socketPath: string;
  readonly calls: StandInCall[];
  /** Logs followers currently open (to see cancellation reach machined). */
  followers(): number;
  reboots(): number;
  /** Bytes the Logs handlers have read from their files so far. */
  logBytesRead(): number;
  /** Bytes of log text (lines and their newlines) in the Logs messages taken from the handlers so far. */
  logBytesSent(): number;
  close(): Promise<void>;
}

const MAX_BATCH_BYTES = 32 * 1024;

function linesToMessages(text: string): LogLine[][] {
  const batches: LogLine[][] = [];
  let batch: LogLine[] = [];
  let size = 0;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    batch.push(create(LogLineSchema, { stream: "stdout", text: line }));
    size += line.length + 8;
    if (size >= MAX_BATCH_BYTES) {
      batches.push(batch);
      batch = [];
      size = 0;
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

export async function startMachinedStandIn(options: {
  socketPath: string;
  /** Logs read `${logDir}/${id}.log`. */
  logDir: string;
  /** Read serves files under this directory. */
  filesRoot: string;
  hostname?: string;
}): Promise<MachinedStandIn> {
  const calls: StandInCall[] = [];
  let followers = 0;
  let reboots = 0;
  let logBytesRead = 0;
  let logBytesSent = 0;
  const shutdown = new AbortController();

  const authorize: Interceptor = (next) => (req) => {
    const method = `/${req.service.typeName}/${req.method.name}`;
    const role = req.header.get(ROLE_HEADER);
    calls.push({
      method,
      role,
      forwarded: req.header.get("x-bronze-forwarded"),
      acceptEncoding: req.header.get("grpc-accept-encoding"),
    });
    if (role === null || !isRole(role)) {
      throw new ConnectError(`${method}: missing or unknown ${ROLE_HEADER}`, Code.Unauthenticated);
    }
    if (!isAllowed(method, role as Role)) {
      throw new ConnectError(`${role} may not call ${method}`, Code.PermissionDenied);
    }
    return next(req);
  };

  async function* logs(req: LogsRequest, ctx: HandlerContext): AsyncGenerator<{ lines: LogLine[] }> {
    const path = join(options.logDir, `${req.id}.log`);
    const file = await open(path, "r").catch(() => {
      throw new ConnectError(`no service ${JSON.stringify(req.id)}`, Code.NotFound);
    });
    followers++;
    try {
      let offset = 0;
      let pending = "";
      const signal = AbortSignal.any([ctx.signal, shutdown.signal]);
      while (!signal.aborted) {
        const size = (await file.stat()).size;
        if (size > offset) {
          const buffer = Buffer.alloc(Math.min(size - offset, 1024 * 1024));
          const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
          offset += bytesRead;
          logBytesRead += bytesRead;
          const text = pending + buffer.subarray(0, bytesRead).toString("utf8");
          const cut = text.lastIndexOf("\n") + 1;
          pending = text.slice(cut);
          for (const lines of linesToMessages(text.slice(0, cut))) {
            // Code before a yield runs when the framework asks for the next message.
            for (const line of lines) logBytesSent += line.text.length + 1;
            yield { lines };
          }
          continue;
        }
        if (!req.follow) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      followers--;
      await file.close();
    }
  }

  const handler = connectNodeAdapter({
    interceptors: [authorize],
    routes: (router) =>
      router.service(MachineService, {
        version: () => ({
          version: { tag: BRONZE_VERSION, runtime: Bun.version, os: "linux", arch: process.arch },
          platform: "container",
        }),
        hostname: () => ({ hostname: options.hostname ?? "stand-in" }),
        reboot: () => {
          reboots++;
          return {};
        },
        applyConfiguration: () => ({}),
        memory: () => ({}),
        // Suspended at a yield while the caller is not reading, a generator never sees the caller go
        // away: closeOnAbort ends it (and closes its file) when the call's signal aborts.
        logs: (req, ctx) => closeOnAbort(logs(req, ctx), ctx.signal),
        async *read(req) {
          const path = join(options.filesRoot, req.path);
          const st = await stat(path).catch(() => undefined);
          if (st === undefined) throw new ConnectError(`${req.path}: no such file`, Code.NotFound);
          const data = await readFile(path);
          for (let i = 0; i < data.length; i += 32 * 1024) yield { data: data.subarray(i, i + 32 * 1024) };
        },
      }),
  });
  const server = http2.createServer(handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(options.socketPath, resolve));
  return {
    socketPath: options.socketPath,
    calls,
    followers: () => followers,
    reboots: () => reboots,
    logBytesRead: () => logBytesRead,
    logBytesSent: () => logBytesSent,
    async close() {
      shutdown.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sessions) s.destroy();
      await closed;
    },
  };
}
