import { connect } from "node:net";
import { checkServerIdentity, HTTP2_CLIENT_SETTINGS } from "@bronze/api";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { CallTarget } from "./authorize-call.ts";
import { formatNodeAddress } from "./node-address.ts";
import type { CertificateAndKeyPem } from "./pki-files.ts";

/** What apid needs to call another node's apid: the OS CA and its impersonator certificate. */
export interface ForwardingIdentity {
  readonly ca: string;
  readonly impersonator: CertificateAndKeyPem;
}

/** An upstream reserved for one call: its transport and sessions, until release(). */
export interface UpstreamLease {
  readonly transport: Transport;
  readonly sessions: Http2SessionManager;
  /** The call is over (idempotent). */
  release(): void;
}

export interface UpstreamsOptions {
  readonly machinedSocket: string;
  readonly identity: ForwardingIdentity | undefined;
  /** apid's log: why a node could not be reached (the caller only learns that it could not). */
  readonly log?: (line: string) => void;
  /** Nodes with a session kept at once (default 64); the least recently used idle one makes room. */
  readonly maxNodes?: number;
  /** A node's session unused this long is closed (default 5 min). */
  readonly nodeIdleMs?: number;
  /** How long opening a session to a node may take (default 10 s). */
  readonly connectTimeoutMs?: number;
  readonly now?: () => number;
}

interface Upstream {
  readonly transport: Transport;
  readonly sessions: Http2SessionManager;
}

interface NodeUpstream extends Upstream {
  /** Calls in progress: a node with calls is never evicted. */
  calls: number;
  lastUsed: number;
}

const DEFAULT_MAX_NODES = 64;
const DEFAULT_NODE_IDLE_MS = 5 * 60_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** The one answer for every failure to reach a node: no port-scan oracle for the caller. */
export function unreachableNode(label: string): ConnectError {
  return new ConnectError(
    `cannot reach node ${label}: no apid of this cluster answered there (apid's log has the details)`,
    Code.Unavailable,
  );
}

/**
 * apid's upstream transports (gRPC over HTTP/2, one kept-alive session each): machined's unix socket,
 * and other nodes' apids over TLS with this node's impersonator certificate, whose certificates must
 * be the cluster's OS CA's and name the node among their SANs. Node sessions are a bounded LRU: at most
 * `maxNodes`, an unused one closed after `nodeIdleMs`.
 */
export class Upstreams {
  readonly #machined: Upstream;
  /** Least recently used first (a Map keeps insertion order; a used node is moved to the end). */
  readonly #nodes = new Map<string, NodeUpstream>();
  readonly #log: (line: string) => void;
  readonly #maxNodes: number;
  readonly #nodeIdleMs: number;
  readonly #connectTimeoutMs: number;
  readonly #now: () => number;
  readonly #sweep: ReturnType<typeof setInterval>;
  #identity: ForwardingIdentity | undefined;

  constructor(options: UpstreamsOptions) {
    this.#identity = options.identity;
    this.#log = options.log ?? (() => {});
    this.#maxNodes = options.maxNodes ?? DEFAULT_MAX_NODES;
    this.#nodeIdleMs = options.nodeIdleMs ?? DEFAULT_NODE_IDLE_MS;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#now = options.now ?? Date.now;
    const sessions = new Http2SessionManager("http://localhost", undefined, {
      createConnection: () => connect(options.machinedSocket),
      settings: HTTP2_CLIENT_SETTINGS,
    });
    this.#machined = {
      sessions,
      transport: createGrpcTransport({
        baseUrl: "http://localhost",
        sessionManager: sessions,
        acceptCompression: [],
      }),
    };
    this.#sweep = setInterval(() => this.closeIdleNodes(), Math.max(1000, this.#nodeIdleMs / 2));
    this.#sweep.unref?.();
  }

  get canForward(): boolean {
    return this.#identity !== undefined;
  }

  /** Node sessions kept now. */
  get nodeCount(): number {
    return this.#nodes.size;
  }

  /**
   * The upstream of a decided call, its session open. Throws the ConnectError to answer with: machined
   * not answering, or (the same message whatever went wrong) a node that cannot be reached.
   */
  async open(target: CallTarget): Promise<UpstreamLease> {
    if (target.kind === "machined") {
      const { transport, sessions } = this.#machined;
      if ((await sessions.connect()) === "error") {
        throw new ConnectError(
          `machined is not answering on its socket: ${errorText(sessions.error())}`,
          Code.Unavailable,
        );
      }
      return { transport, sessions, release: () => {} };
    }
    const label = formatNodeAddress(target.node);
    const upstream = this.#acquire(label);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      upstream.calls--;
      upstream.lastUsed = this.#now();
    };
    if ((await upstream.sessions.connect()) === "error") {
      release();
      this.#log(`apid: cannot forward to ${label}: ${errorText(upstream.sessions.error())}`);
      throw unreachableNode(label);
    }
    return { transport: upstream.transport, sessions: upstream.sessions, release };
  }

  #acquire(label: string): NodeUpstream {
    const identity = this.#identity;
    if (identity === undefined) {
      throw new ConnectError(
        `cannot forward to ${label}: no impersonator certificate`,
        Code.FailedPrecondition,
      );
    }
    let upstream = this.#nodes.get(label);
    if (upstream !== undefined) {
      this.#nodes.delete(label);
    } else {
      if (this.#nodes.size >= this.#maxNodes && !this.#evictOne()) {
        throw new ConnectError(
          `cannot forward to ${label}: calls to ${this.#maxNodes} other nodes are in progress, apid's limit`,
          Code.ResourceExhausted,
        );
      }
      const baseUrl = `https://${label}`;
      const sessions = new Http2SessionManager(
        baseUrl,
        { connectTimeoutMs: this.#connectTimeoutMs, idleConnectionTimeoutMs: this.#nodeIdleMs },
        {
          ca: identity.ca,
          cert: identity.impersonator.crt,
          key: identity.impersonator.key,
          // The node's certificate must name the address among its SANs (never its CN).
          checkServerIdentity,
          settings: HTTP2_CLIENT_SETTINGS,
        },
      );
      upstream = {
        sessions,
        transport: createGrpcTransport({ baseUrl, sessionManager: sessions, acceptCompression: [] }),
        calls: 0,
        lastUsed: this.#now(),
      };
    }
    upstream.calls++;
    upstream.lastUsed = this.#now();
    this.#nodes.set(label, upstream);
    return upstream;
  }

  /** Closes the least recently used node session with no call in progress; false when there is none. */
  #evictOne(): boolean {
    for (const [label, upstream] of this.#nodes) {
      if (upstream.calls > 0) continue;
      upstream.sessions.abort();
      this.#nodes.delete(label);
      return true;
    }
    return false;
  }

  /** Closes the node sessions with no call in progress unused for `nodeIdleMs` (run periodically). */
  closeIdleNodes(): void {
    const now = this.#now();
    for (const [label, upstream] of this.#nodes) {
      if (upstream.calls > 0 || now - upstream.lastUsed < this.#nodeIdleMs) continue;
      upstream.sessions.abort();
      this.#nodes.delete(label);
    }
  }

  /** New certificates: later forwarded calls open new sessions with them. */
  setIdentity(identity: ForwardingIdentity | undefined): void {
    this.#identity = identity;
    this.#closeNodes();
  }

  close(): void {
    clearInterval(this.#sweep);
    this.#machined.sessions.abort();
    this.#closeNodes();
  }

  #closeNodes(): void {
    for (const upstream of this.#nodes.values()) upstream.sessions.abort();
    this.#nodes.clear();
  }
}

function errorText(error: unknown): string {
  if (error instanceof ConnectError) return error.rawMessage;
  return error instanceof Error ? error.message : String(error);
}
