import http2 from "node:http2";
import type { TLSSocket } from "node:tls";
import { closeGracefully, listen, MachineService, NODE_HEADER, trackSessions } from "@bronze/api";
import { createContextKey, createContextValues, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { ApidError } from "./apid-error.ts";
import { authorizeCall, type CallDecision } from "./authorize-call.ts";
import { isBinaryGrpc, passThroughGrpc } from "./grpc-pass-through.ts";
import { createMaintenanceCertificate } from "./maintenance-certificate.ts";
import { formatNodeAddress } from "./node-address.ts";
import { PeerIdentityCache } from "./peer-identity.ts";
import { type ApidPki, readPkiDir } from "./pki-files.ts";
import { type PkiWatcher, watchPkiDir } from "./pki-watcher.ts";
import { DECISION_KEY, registerProxy, upstreamHeaders } from "./proxy-service.ts";
import { type ForwardingIdentity, Upstreams } from "./upstreams.ts";

export type ApidMode =
  | { readonly kind: "secure"; readonly pkiDir: string; readonly pollMs?: number }
  | { readonly kind: "maintenance"; readonly hostname: string };

export interface ApidOptions {
  readonly host: string;
  /** 0 for any free port (tests). */
  readonly port: number;
  readonly machinedSocket: string;
  readonly mode: ApidMode;
  /** Console lines (the maintenance fingerprint, certificate reloads). */
  readonly log?: (line: string) => void;
  readonly onInternalError?: (error: unknown) => void;
  /** How long close() lets calls in flight finish before cutting them (default 5 s). */
  readonly closeGraceMs?: number;
}

export interface Apid {
  readonly port: number;
  /** Maintenance mode: the SHA-256 fingerprint (hex) of its throwaway certificate. */
  readonly fingerprint: string | undefined;
  /** How many times new certificates from the pki dir have been put in service. */
  readonly reloads: () => number;
  close(): Promise<void>;
}

interface PeerCertificate {
  readonly fingerprint: string;
  readonly der: Uint8Array;
}

const PEER_KEY = createContextKey<PeerCertificate | undefined>(undefined, {
  description: "client certificate",
});

function peerCertificateOfSocket(socket: unknown): PeerCertificate | undefined {
  const cert = (socket as Partial<TLSSocket> | null)?.getPeerCertificate?.();
  if (cert === undefined || cert === null || cert.raw === undefined || cert.raw.length === 0)
    return undefined;
  return { fingerprint: cert.fingerprint256, der: cert.raw };
}

/**
 * The client certificate of a request: read once per HTTP/2 session (reading it per request, through
 * the compat request's socket proxy, was a tenth of apid's CPU time), per request on HTTP/1.1.
 */
function peerCertificateOf(
  req: { socket: unknown; stream?: { session?: http2.ServerHttp2Session } },
  bySession: WeakMap<http2.ServerHttp2Session, PeerCertificate | undefined>,
): PeerCertificate | undefined {
  const session = req.stream?.session;
  if (session === undefined) return peerCertificateOfSocket(req.socket);
  if (bySession.has(session)) return bySession.get(session);
  const peer = peerCertificateOfSocket(session.socket);
  bySession.set(session, peer);
  return peer;
}

/** The procedure paths apid passes through (unary and server-streaming methods of MachineService). */
const PASSED_THROUGH = new Set(
  MachineService.methods
    .filter((m) => m.methodKind === "unary" || m.methodKind === "server_streaming")
    .map((m) => `/${MachineService.typeName}/${m.name}`),
);

/** A compat request's headers as authorizeCall reads them. */
function headerOf(req: http2.Http2ServerRequest): Pick<Headers, "get"> {
  return {
    get(name: string) {
      const value = req.headers[name];
      return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
    },
  };
}

function forwardingIdentity(pki: ApidPki): ForwardingIdentity | undefined {
  return pki.impersonator === undefined ? undefined : { ca: pki.ca, impersonator: pki.impersonator };
}

/**
 * apid: MachineService over HTTP/2 + TLS (Connect, gRPC and gRPC-web), authorised by client certificate
 * and passed through to machined's socket or to another node's apid. In maintenance mode: a self-signed
 * certificate, no client certificates, a few methods.
 */
export async function startApid(options: ApidOptions): Promise<Apid> {
  const log = options.log ?? (() => {});
  const maintenance = options.mode.kind === "maintenance";
  let pki: ApidPki | undefined;
  let fingerprint: string | undefined;
  let tlsOptions: http2.SecureServerOptions;
  if (options.mode.kind === "secure") {
    pki = readPkiDir(options.mode.pkiDir);
    tlsOptions = {
      cert: pki.server.crt,
      key: pki.server.key,
      ca: pki.ca,
      requestCert: true,
      rejectUnauthorized: true,
    };
  } else {
    const cert = await createMaintenanceCertificate(options.mode.hostname);
    fingerprint = cert.fingerprint;
    tlsOptions = { cert: cert.crt, key: cert.key, requestCert: false };
  }

  const upstreams = new Upstreams(options.machinedSocket, pki && forwardingIdentity(pki));
  const peers = new PeerIdentityCache();
  const peerBySession = new WeakMap<http2.ServerHttp2Session, PeerCertificate | undefined>();
  const authorize: Interceptor = (next) => (req) => {
    const peer = req.contextValues.get(PEER_KEY);
    const decision = authorizeCall({
      method: `/${req.service.typeName}/${req.method.name}`,
      header: req.header,
      peer: peer && peers.identify(peer.fingerprint, peer.der),
      maintenance,
      canForward: upstreams.canForward,
    });
    req.contextValues.set(DECISION_KEY, decision);
    return next(req);
  };
  const handler = connectNodeAdapter({
    routes: (router) => registerProxy(router, MachineService, upstreams),
    interceptors: [authorize],
    compressMinBytes: 0xffffffff,

    contextValues: (req) => {
      const values = createContextValues();
      values.set(PEER_KEY, peerCertificateOf(req as Parameters<typeof peerCertificateOf>[0], peerBySession));
      return values;
    },
  });

  // Binary gRPC calls that are allowed (osctl's, grpc-js's) pass through as bytes (grpc-pass-through.ts):
  // connect-node's server and client pipelines cost most of apid's latency and throughput. Refusals,
  // other protocols and an unreachable upstream go through connect, which answers them.
  const onRequest = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    if (
      req.httpVersionMajor !== 2 ||
      !isBinaryGrpc(req.headers["content-type"]) ||
      !PASSED_THROUGH.has(req.url)
    ) {
      handler(req, res);
      return;
    }
    let decision: CallDecision;
    try {
      const peer = peerCertificateOf(req as Parameters<typeof peerCertificateOf>[0], peerBySession);
      decision = authorizeCall({
        method: req.url,
        header: headerOf(req),
        peer: peer && peers.identify(peer.fingerprint, peer.der),
        maintenance,
        canForward: upstreams.canForward,
      });
    } catch {
      handler(req, res);
      return;
    }
    const sessions = upstreams.sessions(decision.target);
    if (sessions === undefined) {
      handler(req, res);
      return;
    }
    const target = decision.target;
    passThroughGrpc(req, res, {
      sessions,
      header: upstreamHeaders(decision),
      responseHeader: target.kind === "node" ? { [NODE_HEADER]: formatNodeAddress(target.node) } : undefined,
    }).then(
      (passed) => {
        if (!passed) handler(req, res);
      },
      (error) => options.onInternalError?.(error),
    );
  };
  const server = http2.createSecureServer({ ...tlsOptions, allowHTTP1: true }, onRequest as never);
  // A client going away mid-session (GOAWAY/RST with CANCEL, a reset socket) is not apid's error.
  const sessions = trackSessions(server, () => {});
  // Failed handshakes (no certificate, another CA, expired) are the clients' problem, not ours.
  server.on("tlsClientError", () => {});

  await listen(
    server,
    { port: options.port, host: options.host },
    (error) =>
      new ApidError("Listen", `cannot listen on ${options.host}:${options.port}: ${error.message}`, {
        cause: error,
      }),
  );
  server.on("error", (error) => options.onInternalError?.(error));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;

  let reloads = 0;
  let watcher: PkiWatcher | undefined;
  if (options.mode.kind === "secure" && pki !== undefined) {
    watcher = watchPkiDir({
      dir: options.mode.pkiDir,
      current: pki,
      pollMs: options.mode.pollMs,
      onChange: (next) => {
        server.setSecureContext({ cert: next.server.crt, key: next.server.key, ca: next.ca });
        upstreams.setIdentity(forwardingIdentity(next));
        reloads++;
        log("apid: certificates reloaded");
      },
      onError: (error) => log(`apid: keeping the current certificates: ${(error as Error).message}`),
    });
  } else if (fingerprint !== undefined) {
    log(`apid: maintenance mode, certificate fingerprint sha256:${fingerprint}`);
  }

  let closing: Promise<void> | undefined;
  return {
    port,
    fingerprint,
    reloads: () => reloads,
    close(): Promise<void> {
      closing ??= (async () => {
        watcher?.close();
        await closeGracefully(server, sessions, options.closeGraceMs ?? 5000);
        upstreams.close();
      })();
      return closing;
    },
  };
}
