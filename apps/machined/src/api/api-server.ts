import { chmodSync, chownSync, lstatSync, mkdirSync, unlinkSync } from "node:fs";
import http2 from "node:http2";
import { dirname } from "node:path";
import {
  closeGracefully,
  listen,
  MACHINED_HTTP2_SETTINGS,
  MAX_REQUEST_BYTES,
  MachineService,
  requestLimitFor,
  SMALL_REQUEST_BYTES,
  STREAMS_PER_ROLE,
  StreamSlots,
  streamSlotsInterceptor,
  trackSessions,
} from "@bronze/api";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { authorize } from "./authorize.ts";
import type { MachineApiContext } from "./context.ts";
import { createMachineService } from "./machine-service.ts";
import { callerRoleOf } from "./role-context.ts";
import { truncateErrors } from "./truncate-errors.ts";

/** The largest request message of ApplyConfiguration (a machine config), as apid's own cap. */
export const CONFIG_REQUEST_MAX_BYTES = MAX_REQUEST_BYTES;
/** The largest request message of every other method: ids, paths, flags. */
export const REQUEST_MAX_BYTES = SMALL_REQUEST_BYTES;

export type ApiServerErrorCode = "NotASocket" | "Listen";

export class ApiServerError extends Error {
  override readonly name = "ApiServerError";
  constructor(
    readonly code: ApiServerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ApiServerOptions {
  /** e.g. /system/run/machined/machine.sock */
  readonly socketPath: string;
  readonly context: MachineApiContext;
  /** How long close() lets calls in flight finish before cutting them (default 5 s). */
  readonly closeGraceMs?: number;
  /**
   * A group that may connect too (apid's, whose container runs as a non-root uid): the socket is then
   * root:<group> 0660 instead of root's 0600.
   */
  readonly socketGroup?: number;
  readonly onInternalError?: (error: unknown) => void;
  /** Streaming calls one role may have open (default STREAMS_PER_ROLE). */
  readonly streamsPerRole?: number;
}

export interface ApiServer {
  readonly socketPath: string;
  /** Stops accepting, ends followers, lets calls in flight finish (up to the grace), removes the socket. */
  close(): Promise<void>;
}

function removeStaleSocket(path: string): void {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (!isSocket)
    throw new ApiServerError("NotASocket", `${path} exists and is not a socket: not removing it`);
  unlinkSync(path);
}

/**
 * The errors a session reports when its peer closed the connection under it: a reset, a broken pipe,
 * or a GOAWAY carrying an error code (apid stopping with calls open sends CANCEL).
 */
export function isPeerGone(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ECONNRESET" || code === "EPIPE" || code === "ERR_HTTP2_SESSION_ERROR";
}

/**
 * Serves MachineService (Connect, gRPC and gRPC-web) over HTTP/2 cleartext on a unix socket: 0600
 * (root only), or root:<socketGroup> 0660 on a node, where apid's container runs as uid/gid 50. Any
 * process that can connect can claim any role in `x-bronze-role`: only apid's group may (docs/design.md
 * §4; security review L7).
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { socketPath } = options;
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 });
  removeStaleSocket(socketPath);
  const shutdown = new AbortController();
  const impl = createMachineService(options.context, {
    shutdown: shutdown.signal,
    onInternalError: options.onInternalError,
  });
  const streams = new StreamSlots(options.streamsPerRole ?? STREAMS_PER_ROLE);
  const handler = connectNodeAdapter({
    routes: (router) => {
      // One route per method, so that each has its own request size limit.
      for (const method of MachineService.methods) {
        const readMaxBytes = requestLimitFor(`/${MachineService.typeName}/${method.name}`);
        // `method` is a union of every method: TypeScript cannot pair it with its implementation.
        router.rpc(method, impl[method.localName as keyof typeof impl] as never, { readMaxBytes });
      }
    },
    // truncateErrors first (outermost): it cuts the messages of every error, the role check's too.
    interceptors: [truncateErrors, authorize(options.context), streamSlotsInterceptor(streams, callerRoleOf)],
    readMaxBytes: REQUEST_MAX_BYTES,
    // A unix socket has bandwidth to spare: gzip would only cost CPU, and because HTTP/2 flow
    // control counts compressed bytes it would let a stalled stream buffer ~200x its window.
    acceptCompression: [],
  });
  // apid multiplexes every caller on one session: the stream cap bounds them all together (past it,
  // REFUSED_STREAM); the per-role cap on streaming calls bounds what they hold in PID 1.
  const server = http2.createServer({ settings: MACHINED_HTTP2_SETTINGS }, handler);
  const sessions = trackSessions(server, (error) => {
    // a client that goes away mid-session (apid restarting, a cancelled call) is not machined's fault
    if (!isPeerGone(error)) options.onInternalError?.(error);
  });
  await listen(
    server,
    { path: socketPath },
    (error) =>
      new ApiServerError("Listen", `cannot listen on ${socketPath}: ${error.message}`, { cause: error }),
  );
  if (options.socketGroup === undefined) chmodSync(socketPath, 0o600);
  else {
    chownSync(socketPath, 0, options.socketGroup);
    chmodSync(socketPath, 0o660);
  }
  server.on("error", (error) => options.onInternalError?.(error));

  let closing: Promise<void> | undefined;
  return {
    socketPath,
    close(): Promise<void> {
      closing ??= (async () => {
        shutdown.abort();
        await closeGracefully(server, sessions, options.closeGraceMs ?? 5000);
        try {
          removeStaleSocket(socketPath);
        } catch (error) {
          options.onInternalError?.(error);
        }
      })();
      return closing;
    },
  };
}
