import { statSync } from "node:fs";
import { join } from "node:path";
import {
  type ConnectionStats,
  type Http2TlsLimits,
  meteredHandler,
  RequestBudget,
  SecurityService,
  serveHttp2Tls,
  TRUSTD_MAX_REQUEST_BYTES,
  TRUSTD_REQUEST_BODY_TIMEOUT_MS,
  TRUSTD_REQUEST_BUFFER_BUDGET_BYTES,
} from "@bronze/api";
import { createContextValues } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createCertificateService, PEER_ADDRESS_KEY, requireToken } from "./certificate-service.ts";
import { TrustdError } from "./trustd-error.ts";
import { readToken, readTrustdPki, TRUSTD_PKI_FILES, type TrustdPki } from "./trustd-files.ts";

export interface TrustdOptions {
  readonly host: string;
  /** 0 for any free port (tests). */
  readonly port: number;
  readonly pkiDir: string;
  readonly tokenFile: string;
  /** Names any node may claim besides its own address. */
  readonly extraSans?: readonly string[];
  /** How often the files are checked for changes (default 5 s): renewed certificates, a new token. */
  readonly pollMs?: number;
  readonly log?: (line: string) => void;
  readonly onInternalError?: (error: unknown) => void;
  /** Connection limits (libs/api server-limits.ts DEFAULT_TLS_LIMITS unless given; tests shorten them). */
  readonly limits?: Partial<Http2TlsLimits>;
  /** How long a request body may take to arrive (default TRUSTD_REQUEST_BODY_TIMEOUT_MS). */
  readonly requestBodyTimeoutMs?: number;
}

export interface Trustd {
  readonly port: number;
  /** Connections open now and those refused or closed by the limits. */
  connections(): ConnectionStats;
  close(): Promise<void>;
}

function stamp(paths: string[]): string {
  return paths
    .map((path) => {
      try {
        const st = statSync(path);
        return `${st.ino}:${st.size}:${st.mtimeMs}`;
      } catch {
        return "-";
      }
    })
    .join("|");
}

/** trustd: SecurityService over HTTP/2 + TLS (the node's server certificate, no client certificates). */
export async function startTrustd(options: TrustdOptions): Promise<Trustd> {
  const log = options.log ?? (() => {});
  let pki: TrustdPki = readTrustdPki(options.pkiDir);
  let token = readToken(options.tokenFile);

  const handler = connectNodeAdapter({
    routes: (router) =>
      router.service(
        SecurityService,
        createCertificateService({ ca: () => pki.ca, token: () => token, extraSans: options.extraSans }),
      ),
    // No token, no reading: the gate runs before any request byte is received or decompressed.
    requestGate: (ctx) => requireToken(ctx.requestHeader, token),
    readMaxBytes: TRUSTD_MAX_REQUEST_BYTES,
    acceptCompression: [],
    contextValues: (req) => {
      const values = createContextValues();
      values.set(PEER_ADDRESS_KEY, req.socket?.remoteAddress);
      return values;
    },
  });
  // Request bytes bounded over every call in flight, and in time: a body that never ends would hold
  // its connection (on HTTP/1.1, connect drains a refused call's body before answering).
  const budget = new RequestBudget(
    TRUSTD_REQUEST_BUFFER_BUDGET_BYTES,
    TRUSTD_MAX_REQUEST_BYTES,
    options.requestBodyTimeoutMs ?? TRUSTD_REQUEST_BODY_TIMEOUT_MS,
  );
  const server = await serveHttp2Tls({
    host: options.host,
    port: options.port,
    tls: { cert: pki.server.crt, key: pki.server.key },
    onRequest: meteredHandler(budget, handler),
    limits: options.limits,
    listenError: (error) =>
      new TrustdError("Listen", `cannot listen on ${options.host}:${options.port}: ${error.message}`, {
        cause: error,
      }),
    onInternalError: options.onInternalError,
  });
  const port = server.port;

  const watched = [
    ...Object.values(TRUSTD_PKI_FILES).map((name) => join(options.pkiDir, name)),
    options.tokenFile,
  ];
  let last = stamp(watched);
  const poll = setInterval(() => {
    const now = stamp(watched);
    if (now === last) return;
    last = now;
    try {
      const next = readTrustdPki(options.pkiDir);
      const nextToken = readToken(options.tokenFile);
      if (next.server.crt !== pki.server.crt || next.server.key !== pki.server.key) {
        server.setSecureContext({ cert: next.server.crt, key: next.server.key });
      }
      pki = next;
      token = nextToken;
      log("trustd: certificates and token reloaded");
    } catch (error) {
      log(`trustd: keeping the current certificates and token: ${(error as Error).message}`);
    }
  }, options.pollMs ?? 5000);
  poll.unref?.();

  let closing: Promise<void> | undefined;
  return {
    port,
    connections: () => server.connections(),
    close() {
      closing ??= (async () => {
        clearInterval(poll);
        await server.close(2000);
      })();
      return closing;
    },
  };
}
