// The TLS server of apid and trustd: HTTP/2 (HTTP/1.1 accepted too) with the connection limits of
// server-limits.ts, listening, and a polite close.
import * as http2 from "node:http2";
import type { SecureContextOptions } from "node:tls";
import { ConnectionGuard, type ConnectionStats, type Http2TlsLimits } from "./connection-guard.ts";
import { closeGracefully, listen, trackSessions } from "./http2-server-lifecycle.ts";
import { DEFAULT_TLS_LIMITS } from "./server-limits.ts";

export interface ServeHttp2TlsOptions {
  readonly host: string;
  /** 0 for any free port (tests). */
  readonly port: number;
  /** Certificate, key, and for client certificates ca, requestCert and rejectUnauthorized. */
  readonly tls: SecureContextOptions & {
    readonly requestCert?: boolean;
    readonly rejectUnauthorized?: boolean;
  };
  readonly onRequest: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;
  /** DEFAULT_TLS_LIMITS unless given (tests shorten the timeouts and lower the caps). */
  readonly limits?: Partial<Http2TlsLimits>;
  /** The error a bind failure rejects with. */
  readonly listenError: (error: Error) => Error;
  readonly onInternalError?: (error: unknown) => void;
}

export interface Http2TlsServer {
  readonly port: number;
  /** New certificates (and CA) for the connections that follow. */
  setSecureContext(options: SecureContextOptions): void;
  connections(): ConnectionStats;
  /** Stops accepting, closes idle connections, lets calls in flight finish up to `graceMs`. */
  close(graceMs: number): Promise<void>;
}

/** Serves `onRequest` over TLS on host:port with the connection limits (server-limits.ts). */
export async function serveHttp2Tls(options: ServeHttp2TlsOptions): Promise<Http2TlsServer> {
  const limits: Http2TlsLimits = { ...DEFAULT_TLS_LIMITS, ...options.limits };
  const guard = new ConnectionGuard(limits);
  const server = http2.createSecureServer(
    {
      ...options.tls,
      allowHTTP1: true,
      handshakeTimeout: limits.handshakeTimeoutMs,
      settings: { maxConcurrentStreams: limits.maxConcurrentStreams },
    },
    (req, res) => {
      guard.track(req, res);
      options.onRequest(req, res);
    },
  );
  server.on("connection", (socket) => guard.admit(socket));
  server.on("session", (session) => guard.bindSession(session));
  // A client going away mid-session (GOAWAY/RST with CANCEL, a reset socket) is not the server's error.
  const sessions = trackSessions(server, () => {});
  // Failed handshakes (no certificate, another CA, expired, too slow) are the clients' problem.
  server.on("tlsClientError", () => {});
  await listen(server, { port: options.port, host: options.host }, options.listenError);
  server.on("error", (error) => options.onInternalError?.(error));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;

  let closing: Promise<void> | undefined;
  return {
    port,
    setSecureContext: (context) => server.setSecureContext(context),
    connections: () => guard.stats(),
    close(graceMs) {
      closing ??= (async () => {
        const closed = closeGracefully(server, sessions, graceMs);
        guard.closeIdle();
        // Connections still in the handshake, or on HTTP/1.1, are no HTTP/2 session: cut them too.
        const timer = setTimeout(() => guard.destroyAll(), graceMs);
        await closed;
        clearTimeout(timer);
        guard.destroyAll();
      })();
      return closing;
    },
  };
}
