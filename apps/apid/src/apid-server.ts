import type http2 from "node:http2";
import type { TLSSocket } from "node:tls";
import {
  type CallRole,
  type ConnectionStats,
  type Http2TlsLimits,
  MAX_REQUEST_BYTES,
  MachineService,
  meterRequestBody,
  NODE_HEADER,
  REQUEST_BODY_TIMEOUT_MS,
  REQUEST_BUFFER_BUDGET_BYTES,
  RequestBudget,
  type RequestCharge,
  requestLimitFor,
  STREAMS_PER_ROLE,
  StreamSlots,
  serveHttp2Tls,
  streamSlotsInterceptor,
} from "@bronze/api";
import {
  Code,
  ConnectError,
  createContextKey,
  createContextValues,
  type HandlerContext,
  type Interceptor,
} from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { ApidError } from "./apid-error.ts";
import { APID_PORT } from "./apid-port.ts";
import { type AuditEntry, auditLine } from "./audit-log.ts";
import { authorizeCall, type CallDecision } from "./authorize-call.ts";
import {
  answerGrpcError,
  isBinaryGrpc,
  isGrpcProper,
  passThroughGrpc,
  refuseGrpcOverHttp1,
} from "./grpc-pass-through.ts";
import { createMaintenanceCertificate } from "./maintenance-certificate.ts";
import { formatNodeAddress } from "./node-address.ts";
import { type PeerIdentity, PeerIdentityCache } from "./peer-identity.ts";
import { type ApidPki, readPkiDir } from "./pki-files.ts";
import { type PkiWatcher, watchPkiDir } from "./pki-watcher.ts";
import { DECISION_KEY, registerProxy, upstreamHeaders } from "./proxy-service.ts";
import { type ForwardingIdentity, type UpstreamLease, Upstreams, unreachableNode } from "./upstreams.ts";

export type ApidMode =
  | { readonly kind: "secure"; readonly pkiDir: string; readonly pollMs?: number }
  | { readonly kind: "maintenance"; readonly hostname: string };

export interface ApidOptions {
  readonly host: string;
  /** 0 for any free port (tests). */
  readonly port: number;
  readonly machinedSocket: string;
  readonly mode: ApidMode;
  /** Console lines (the maintenance fingerprint, certificate reloads, the audit trail). */
  readonly log?: (line: string) => void;
  readonly onInternalError?: (error: unknown) => void;
  /** How long close() lets calls in flight finish before cutting them (default 5 s). */
  readonly closeGraceMs?: number;
  /** The port every node's apid listens on: the only one calls are forwarded to (default 50000). */
  readonly apidPort?: number;
  /** Connection limits (DEFAULT_TLS_LIMITS of @bronze/api unless given; tests shorten them). */
  readonly limits?: Partial<Http2TlsLimits>;
  /** Request bytes held at once over every call in flight (default REQUEST_BUFFER_BUDGET_BYTES). */
  readonly requestBudgetBytes?: number;
  /** How long a request body may take to arrive (default REQUEST_BODY_TIMEOUT_MS). */
  readonly requestBodyTimeoutMs?: number;
  /** Forwarding: other nodes' sessions kept at once (default 64), and how long an unused one lives. */
  readonly forwarding?: { readonly maxNodes?: number; readonly nodeIdleMs?: number };
  /** Streaming calls to this node's machined one role may have open (default STREAMS_PER_ROLE, machined's). */
  readonly streamsPerRole?: number;
}

export interface Apid {
  readonly port: number;
  /** Maintenance mode: the SHA-256 fingerprint (hex) of its throwaway certificate. */
  readonly fingerprint: string | undefined;
  /** How many times new certificates from the pki dir have been put in service. */
  readonly reloads: () => number;
  /** Client connections: open now, and refused or closed by the limits. */
  readonly connections: () => ConnectionStats;
  /** Sessions to other nodes' apids kept now. */
  readonly forwardingSessions: () => number;
  close(): Promise<void>;
}

interface PeerCertificate {
  readonly fingerprint: string;
  readonly der: Uint8Array;
}

const PEER_KEY = createContextKey<PeerCertificate | undefined>(undefined, {
  description: "client certificate",
});

/** The caller's identity, found by the request gate (for the audit interceptor). */
const IDENTITY_KEY = createContextKey<PeerIdentity | undefined>(undefined, {
  description: "client identity",
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

/** The procedure paths of MachineService's streaming methods. */
const STREAMING = new Set(
  MachineService.methods
    .filter((m) => m.methodKind !== "unary")
    .map((m) => `/${MachineService.typeName}/${m.name}`),
);

/**
 * The role whose share of machined's streaming calls a call takes: a streaming call served by this
 * node's machined (forwarded calls are counted by the node that serves them).
 */
function localStreamRole(decision: CallDecision | undefined): CallRole | undefined {
  return decision?.target.kind === "machined" ? decision.role : undefined;
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

const isImpersonator = (peer: PeerIdentity | undefined) =>
  peer !== undefined && "role" in peer && peer.role === "os:impersonator";

/** An audited stream: its status once it ends (CANCELED when the caller stops reading it). */
async function* withOutcome<T>(
  messages: AsyncIterable<T>,
  record: (code: Code | 0) => void,
): AsyncIterable<T> {
  let code: Code | 0 = Code.Canceled;
  try {
    yield* messages;
    code = 0;
  } catch (error) {
    code = ConnectError.from(error).code;
    throw error;
  } finally {
    record(code);
  }
}

/**
 * apid: MachineService over HTTP/2 + TLS (Connect, gRPC and gRPC-web), authorised by client certificate
 * and passed through to machined's socket or to another node's apid. In maintenance mode: a self-signed
 * certificate, no client certificates, a few methods, marked as maintenance calls for machined.
 *
 * Every call is authorised from its headers before a byte of its body is read (connect's request gate;
 * the binary gRPC pass-through decides first too), its body is bounded per call and over all calls
 * (@bronze/api's request-budget.ts), connections are limited (serveHttp2Tls), and privileged calls are audited.
 */
export async function startApid(options: ApidOptions): Promise<Apid> {
  const log = options.log ?? (() => {});
  const maintenance = options.mode.kind === "maintenance";
  const apidPort = options.apidPort ?? APID_PORT;
  let pki: ApidPki | undefined;
  let fingerprint: string | undefined;
  let tlsOptions: Parameters<typeof serveHttp2Tls>[0]["tls"];
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

  const upstreams = new Upstreams({
    machinedSocket: options.machinedSocket,
    identity: pki && forwardingIdentity(pki),
    log,
    maxNodes: options.forwarding?.maxNodes,
    nodeIdleMs: options.forwarding?.nodeIdleMs,
  });
  const budget = new RequestBudget(
    options.requestBudgetBytes ?? REQUEST_BUFFER_BUDGET_BYTES,
    MAX_REQUEST_BYTES,
    options.requestBodyTimeoutMs ?? REQUEST_BODY_TIMEOUT_MS,
  );
  // machined counts streaming calls per role too; refusing the extra ones here costs PID 1 nothing.
  const streams = new StreamSlots(options.streamsPerRole ?? STREAMS_PER_ROLE);
  const peers = new PeerIdentityCache();
  const peerBySession = new WeakMap<http2.ServerHttp2Session, PeerCertificate | undefined>();
  const identify = (peer: PeerCertificate | undefined) => peer && peers.identify(peer.fingerprint, peer.der);
  const decide = (method: string, header: Pick<Headers, "get">, peer: PeerIdentity | undefined) =>
    authorizeCall({ method, header, peer, maintenance, canForward: upstreams.canForward, apidPort });
  const audit = (entry: AuditEntry) => {
    const line = auditLine(entry);
    if (line !== undefined) log(line);
  };

  // Connect's request gate runs once the headers are in, before any request message is received,
  // decompressed or parsed: a refused call never costs its body.
  const requestGate = (ctx: HandlerContext) => {
    const method = `/${ctx.service.typeName}/${ctx.method.name}`;
    const peer = identify(ctx.values.get(PEER_KEY));
    ctx.values.set(IDENTITY_KEY, peer);
    try {
      ctx.values.set(DECISION_KEY, decide(method, ctx.requestHeader, peer));
    } catch (error) {
      const code = ConnectError.from(error).code;
      audit({ method, role: undefined, peer, forwarded: isImpersonator(peer), target: undefined, code });
      throw error;
    }
  };
  const auditCalls: Interceptor = (next) => async (req) => {
    const method = `/${req.service.typeName}/${req.method.name}`;
    const decision = req.contextValues.get(DECISION_KEY);
    const peer = req.contextValues.get(IDENTITY_KEY);
    const record = (code: Code | 0) =>
      audit({
        method,
        role: decision?.role,
        peer,
        forwarded: isImpersonator(peer),
        target: decision?.target,
        code,
      });
    try {
      const res = await next(req);
      if (!res.stream) {
        record(0);
        return res;
      }
      return { ...res, message: withOutcome(res.message, record) };
    } catch (error) {
      record(ConnectError.from(error).code);
      throw error;
    }
  };
  const handler = connectNodeAdapter({
    routes: (router) => registerProxy(router, MachineService, upstreams),
    requestGate,
    // auditCalls first: a call refused for the stream cap is audited like any other refusal
    interceptors: [
      auditCalls,
      streamSlotsInterceptor(streams, (values) => localStreamRole(values.get(DECISION_KEY))),
    ],
    readMaxBytes: MAX_REQUEST_BYTES,
    // machined refuses compressed requests anyway, and decompressing is what turns a few bytes into
    // hundreds of megabytes: apid accepts none.
    acceptCompression: [],
    compressMinBytes: 0xffffffff,
    contextValues: (req) => {
      const values = createContextValues();
      values.set(PEER_KEY, peerCertificateOf(req as Parameters<typeof peerCertificateOf>[0], peerBySession));
      return values;
    },
  });

  /** A binary gRPC call, decided here and relayed as bytes (grpc-pass-through.ts), or answered here. */
  const passThrough = async (
    req: http2.Http2ServerRequest,
    res: http2.Http2ServerResponse,
    charge: RequestCharge,
  ) => {
    const method = req.url;
    const peer = identify(peerCertificateOf(req as Parameters<typeof peerCertificateOf>[0], peerBySession));
    const forwarded = isImpersonator(peer);
    let decision: CallDecision;
    try {
      decision = decide(method, headerOf(req), peer);
    } catch (error) {
      const refused = ConnectError.from(error);
      answerGrpcError(res, refused.code, refused.rawMessage);
      audit({ method, role: undefined, peer, forwarded, target: undefined, code: refused.code });
      return;
    }
    const { role, target } = decision;
    const streamRole = STREAMING.has(method) ? localStreamRole(decision) : undefined;
    if (streamRole !== undefined) {
      let free: () => void;
      try {
        free = streams.acquire(streamRole);
      } catch (error) {
        const refused = ConnectError.from(error);
        answerGrpcError(res, refused.code, refused.rawMessage);
        audit({ method, role, peer, forwarded, target, code: refused.code });
        return;
      }
      // freed when the call's stream closes, however it ends (or now, if the caller left already)
      if (res.closed) free();
      else res.once("close", free);
    }
    let lease: UpstreamLease;
    try {
      lease = await upstreams.open(target);
    } catch (error) {
      const failed = ConnectError.from(error);
      if (!res.closed) answerGrpcError(res, failed.code, failed.rawMessage);
      audit({ method, role, peer, forwarded, target, code: failed.code });
      return;
    }
    let code: number;
    try {
      const node = target.kind === "node" ? formatNodeAddress(target.node) : undefined;
      code = await passThroughGrpc(req, res, {
        sessions: lease.sessions,
        header: upstreamHeaders(decision),
        responseHeader: node === undefined ? undefined : { [NODE_HEADER]: node },
        charge,
        unreachable:
          node === undefined ? "machined is not answering on its socket" : unreachableNode(node).rawMessage,
      });
    } finally {
      lease.release();
    }
    audit({ method, role, peer, forwarded, target, code: code as Code | 0 });
  };

  // Binary gRPC calls of MachineService (osctl's, grpc-js's) are decided and passed through as bytes:
  // connect-node's server and client pipelines cost most of apid's latency and throughput. Other
  // protocols (Connect, gRPC-web, HTTP/1.1) go through connect. Either way the request's bytes count
  // against the budget of every call in flight.
  const onRequest = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    if (req.httpVersionMajor === 1 && isGrpcProper(req.headers["content-type"])) {
      refuseGrpcOverHttp1(res);
      return;
    }
    const charge = budget.charge(requestLimitFor(req.url));
    res.once("close", () => charge.release());
    if (
      req.httpVersionMajor === 2 &&
      isBinaryGrpc(req.headers["content-type"]) &&
      PASSED_THROUGH.has(req.url)
    ) {
      passThrough(req, res, charge).catch((error) => options.onInternalError?.(error));
      return;
    }
    meterRequestBody(req as unknown as Parameters<typeof meterRequestBody>[0], charge);
    handler(req, res);
  };
  const server = await serveHttp2Tls({
    host: options.host,
    port: options.port,
    tls: tlsOptions,
    onRequest,
    limits: options.limits,
    listenError: (error) =>
      new ApidError("Listen", `cannot listen on ${options.host}:${options.port}: ${error.message}`, {
        cause: error,
      }),
    onInternalError: options.onInternalError,
  });

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
    port: server.port,
    fingerprint,
    reloads: () => reloads,
    connections: () => server.connections(),
    forwardingSessions: () => upstreams.nodeCount,
    close(): Promise<void> {
      closing ??= (async () => {
        watcher?.close();
        await server.close(options.closeGraceMs ?? 5000);
        upstreams.close();
      })();
      return closing;
    },
  };
}
