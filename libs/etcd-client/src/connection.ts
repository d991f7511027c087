// The gRPC connections to etcd's members: one HTTP/2 session per endpoint (TLS with a client
// certificate, or plaintext), made when first used and re-established on the next call after the
// member restarts; a deadline on every call; failover to the next endpoint when one is unavailable;
// and translation of failures into EtcdError.

import type { StreamSessions } from "@bronze/grpc-stream";
import type { DescService } from "@bufbuild/protobuf";
import {
  type Client,
  type CallOptions as ConnectCallOptions,
  createClient,
  type Transport,
} from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { EtcdError, neverSent, toEtcdError } from "./errors.ts";

/** Options every call accepts. */
export interface CallOptions {
  /** Deadline of this call in milliseconds (default: the client's timeoutMs). `Infinity` for none. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** TLS material of a client of etcd, all PEM: the CA that signed the members' certificates, and ours. */
export interface EtcdTls {
  ca: string;
  cert: string;
  key: string;
}

export interface ConnectionOptions {
  /**
   * etcd's client URLs (`https://10.0.0.2:2379`), tried in order; without a scheme, https when `tls`
   * is given, else http.
   */
  endpoints: string[];
  /** Client certificate authentication (etcd's `--client-cert-auth`). */
  tls?: EtcdTls;
  /** Default deadline of a call, in milliseconds (default 10 000). */
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

/** One attempt of a call at one endpoint: its clients, its call options and its URL. */
export interface Attempt {
  readonly endpoint: string;
  client<S extends DescService>(service: S): Client<S>;
  /** The endpoint's HTTP/2 session, for calls read raw (@bronze/grpc-stream). */
  readonly sessions: StreamSessions;
  /** Deadline (what is left of the call's), signal. */
  readonly options: ConnectCallOptions;
}

interface Endpoint {
  url: string;
  session: Http2SessionManager;
  transport: Transport;
  clients: Map<DescService, Client<DescService>>;
}

/**
 * An endpoint as a URL origin (`https://127.0.0.1:2379`). Without a scheme, https when `tls`,
 * else http. Throws InvalidArgument for anything that is not an http(s) URL without a path.
 */
export function normalizeEndpoint(op: string, endpoint: string, tls: boolean): string {
  const text = endpoint.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `${tls ? "https" : "http"}://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new EtcdError("InvalidArgument", op, `endpoint ${JSON.stringify(endpoint)} is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new EtcdError("InvalidArgument", op, `endpoint ${JSON.stringify(endpoint)} is not http(s)`);
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash || url.username)
    throw new EtcdError(
      "InvalidArgument",
      op,
      `endpoint ${JSON.stringify(endpoint)} has more than host and port`,
    );
  return url.origin;
}

/** The call options of an attempt: what is left of the deadline, and the signal. */
export function attemptOptions(
  deadline: number,
  signal: AbortSignal | undefined,
  now = Date.now(),
): ConnectCallOptions {
  return {
    timeoutMs: Number.isFinite(deadline) ? Math.max(1, deadline - now) : undefined,
    signal,
  };
}

export class Connection {
  private readonly pool = new Map<string, Endpoint>();
  private current = 0;
  private closed = false;

  private constructor(
    /** The configured endpoints, normalized, in order. */
    readonly endpoints: readonly string[],
    private readonly tls: EtcdTls | undefined,
    readonly timeoutMs: number,
  ) {}

  static open(options: ConnectionOptions): Connection {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(timeoutMs > 0))
      throw new EtcdError("InvalidArgument", "connect", `timeoutMs must be positive, got ${timeoutMs}`);
    if (options.endpoints.length === 0)
      throw new EtcdError("InvalidArgument", "connect", "no endpoints given");
    const endpoints = [
      ...new Set(options.endpoints.map((e) => normalizeEndpoint("connect", e, options.tls !== undefined))),
    ];
    return new Connection(endpoints, options.tls, timeoutMs);
  }

  /** The endpoint calls go to now (the first that answered). */
  get endpoint(): string {
    return this.endpoints[this.current] as string;
  }

  normalize(op: string, endpoint: string): string {
    return normalizeEndpoint(op, endpoint, this.tls !== undefined);
  }

  private at(url: string): Endpoint {
    let ep = this.pool.get(url);
    if (!ep) {
      const nodeOptions = this.tls ? { ca: this.tls.ca, cert: this.tls.cert, key: this.tls.key } : {};
      const session = new Http2SessionManager(
        url,
        { connectTimeoutMs: Math.min(this.timeoutMs, 5_000), idleConnectionTimeoutMs: 60 * 60_000 },
        nodeOptions,
      );
      const transport = createGrpcTransport({ baseUrl: url, sessionManager: session });
      ep = { url, session, transport, clients: new Map() };
      this.pool.set(url, ep);
    }
    return ep;
  }

  private attempt(url: string, options: ConnectCallOptions): Attempt {
    const ep = this.at(url);
    return {
      endpoint: url,
      options,
      sessions: ep.session,
      client<S extends DescService>(service: S): Client<S> {
        let c = ep.clients.get(service);
        if (!c) {
          c = createClient(service, ep.transport) as unknown as Client<DescService>;
          ep.clients.set(service, c);
        }
        return c as unknown as Client<S>;
      },
    };
  }

  private deadline(call: CallOptions | undefined, fallback?: number): number {
    const timeoutMs = call?.timeoutMs ?? fallback ?? this.timeoutMs;
    return Number.isFinite(timeoutMs) ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY;
  }

  private checkOpen(op: string): void {
    if (this.closed) throw new EtcdError("Canceled", op, "the client is closed");
  }

  /**
   * Runs one remote operation at the current endpoint; when that one is unavailable, at the next ones
   * in turn (the first that answers becomes the current one). A call that may have reached a member
   * (its connection died under it, or etcd said it is unavailable: no leader, stopping) is sent again
   * elsewhere only when `idempotent`; one that never reached it (refused, no route, no session in
   * time) or that a learner refused always is. The deadline covers all attempts.
   */
  async call<R>(
    op: string,
    call: CallOptions | undefined,
    fn: (attempt: Attempt) => Promise<R>,
    options: { idempotent?: boolean; timeoutMs?: number } = {},
  ): Promise<R> {
    this.checkOpen(op);
    const deadline = this.deadline(call, options.timeoutMs);
    const failures: EtcdError[] = [];
    const n = this.endpoints.length;
    const start = this.current;
    for (let i = 0; i < n; i++) {
      const index = (start + i) % n;
      const url = this.endpoints[index] as string;
      try {
        const result = await fn(this.attempt(url, attemptOptions(deadline, call?.signal)));
        this.current = index;
        return result;
      } catch (e) {
        const err = toEtcdError(op, e, url);
        const elsewhere =
          (err.code === "Unavailable" && (options.idempotent || neverSent(e))) ||
          err.reason === "NotSupportedForLearner";
        if (!elsewhere || call?.signal?.aborted || Date.now() >= deadline) throw err;
        failures.push(err);
      }
    }
    if (failures.length === 1) throw failures[0] as EtcdError;
    throw new EtcdError(
      "Unavailable",
      op,
      `no endpoint answered: ${failures.map((f) => f.detail).join("; ")}`,
      { cause: failures[failures.length - 1] },
    );
  }

  /** Runs one remote operation at `endpoint` alone (a member's own status, defragment, hash). */
  async callAt<R>(
    op: string,
    endpoint: string,
    call: CallOptions | undefined,
    fn: (attempt: Attempt) => Promise<R>,
    options: { timeoutMs?: number } = {},
  ): Promise<R> {
    this.checkOpen(op);
    const url = this.normalize(op, endpoint);
    try {
      return await fn(
        this.attempt(url, attemptOptions(this.deadline(call, options.timeoutMs), call?.signal)),
      );
    } catch (e) {
      throw toEtcdError(op, e, url);
    }
  }

  /** Closes every HTTP/2 session (open streams fail with Canceled); later calls fail with Canceled. */
  close(): void {
    this.closed = true;
    for (const ep of this.pool.values()) ep.session.abort();
    this.pool.clear();
  }
}
