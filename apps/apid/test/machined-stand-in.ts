// A stand-in for machined's API server (DESIGN §7: "apid with a machined stand-in in unit tests"):
// MachineService over HTTP/2 cleartext on a unix socket, enforcing ROLE_HEADER like machined does,
// with a few real handlers: Version, Hostname, Logs (a real file, follow), Read (real files), Reboot.
import { open, readFile, stat } from "node:fs/promises";
import http2 from "node:http2";
import { join } from "node:path";
import {
  authorizeRoleHeader,
  BRONZE_VERSION,
  closeOnAbort,
  LOGS_CHUNK_BYTES,
  type LogsRequest,
  MachineService,
  ROLE_HEADER,
} from "@bronze/api";
import { Code, ConnectError, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";

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
  /** Bytes of log text in the Logs messages taken from the handlers so far. */
  logBytesSent(): number;
  /** Whether the node is in maintenance mode (maintenance calls are refused otherwise). */
  setMaintenance(value: boolean): void;
  close(): Promise<void>;
}

/** Whole lines of `data` in chunks of at most LOGS_CHUNK_BYTES (a longer line alone), as machined sends them. */
function* lineChunks(data: Buffer): Generator<Buffer> {
  for (let start = 0; start < data.length; ) {
    let end = data.length;
    if (end - start > LOGS_CHUNK_BYTES) {
      end = data.lastIndexOf(0x0a, start + LOGS_CHUNK_BYTES - 1) + 1;
      if (end <= start) end = data.indexOf(0x0a, start) + 1 || data.length;
    }
    yield data.subarray(start, end);
    start = end;
  }
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
  let maintenance = false;
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
    authorizeRoleHeader(method, role, () => maintenance);
    return next(req);
  };

  async function* logs(req: LogsRequest, ctx: HandlerContext): AsyncGenerator<{ data: Uint8Array }> {
    const path = join(options.logDir, `${req.id}.log`);
    const file = await open(path, "r").catch(() => {
      throw new ConnectError(`no service ${JSON.stringify(req.id)}`, Code.NotFound);
    });
    followers++;
    try {
      let offset = 0;
      let pending = Buffer.alloc(0);
      const signal = AbortSignal.any([ctx.signal, shutdown.signal]);
      while (!signal.aborted) {
        const size = (await file.stat()).size;
        if (size > offset) {
          const buffer = Buffer.allocUnsafe(Math.min(size - offset, 1024 * 1024));
          const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
          offset += bytesRead;
          logBytesRead += bytesRead;
          const read = buffer.subarray(0, bytesRead);
          const text = pending.length === 0 ? read : Buffer.concat([pending, read]);
          const cut = text.lastIndexOf(0x0a) + 1;
          pending = Buffer.from(text.subarray(cut));
          for (const data of lineChunks(text.subarray(0, cut))) {
            // Code before a yield runs when the framework asks for the next message.
            logBytesSent += data.length;
            yield { data };
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
    setMaintenance: (value) => {
      maintenance = value;
    },
    async close() {
      shutdown.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sessions) s.destroy();
      await closed;
    },
  };
}
