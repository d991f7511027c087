// What a TLS API server (apid, trustd) lets a client hold without doing anything: every connection
// is counted from its first byte (before TLS), per source and in total, and closed once it has had
// no call open for a while, whether it never finished the handshake, never sent the HTTP/2 preface,
// or simply went quiet. Calls in progress (a followed log that says nothing) keep theirs open.
import type * as http2 from "node:http2";
import type { Socket } from "node:net";
import { addressBucket } from "./peer-address.ts";

export interface Http2TlsLimits {
  /** A TLS handshake not finished by then is dropped. */
  readonly handshakeTimeoutMs: number;
  /** A connection with no call open for this long is closed (GOAWAY, then the socket). */
  readonly idleTimeoutMs: number;
  /** Connections at once; past it the oldest idle one is closed for the new one, or the new one refused. */
  readonly maxConnections: number;
  /** Connections at once from one IPv4 address or IPv6 /64; past it new ones are refused. */
  readonly maxConnectionsPerAddress: number;
  /** HTTP/2 streams one connection may have open (a stream past it is refused, REFUSED_STREAM). */
  readonly maxConcurrentStreams: number;
}

export interface ConnectionStats {
  /** Connections open now. */
  readonly open: number;
  /** Refused at once: over the per-address cap, or over the total with none idle to close. */
  readonly refused: number;
  /** Idle connections closed to make room for a new one. */
  readonly evicted: number;
  /** Connections closed for having no call open for idleTimeoutMs. */
  readonly idleClosed: number;
}

interface Connection {
  readonly key: string;
  readonly socket: Socket;
  readonly bucket: string;
  session: http2.ServerHttp2Session | undefined;
  /** Requests (HTTP/2 streams or HTTP/1.1 requests) in progress. */
  calls: number;
  /** Whether it ever made a request (a client, not a connection held open to take a slot). */
  served: boolean;
  /** When it was admitted or last began or ended a request, on the guard's own tick (larger: more recent). */
  activeAt: number;
  idle: ReturnType<typeof setTimeout> | undefined;
}

/** How long a connection told to go away (GOAWAY) may take before its socket is destroyed. */
const GOAWAY_GRACE_MS = 1000;

const keyOf = (socket: { remoteAddress?: string; remotePort?: number }) =>
  `${socket.remoteAddress}|${socket.remotePort}`;

/**
 * Connection accounting for one server. Bun hands the server's "connection" listener the TCP socket
 * before the TLS handshake, its "session" listener and requests a proxy of it: connections are known
 * by their peer's address and port.
 */
export class ConnectionGuard {
  readonly #limits: Http2TlsLimits;
  /** Oldest first (a Map keeps insertion order). */
  readonly #connections = new Map<string, Connection>();
  readonly #perBucket = new Map<string, number>();
  /** Sessions announced before their connection (cleartext servers announce them first). */
  readonly #unbound = new Map<string, http2.ServerHttp2Session>();
  #refused = 0;
  #evicted = 0;
  #idleClosed = 0;
  #tick = 0;

  constructor(limits: Http2TlsLimits) {
    this.#limits = limits;
  }

  /** The server's "connection" listener: admits the new socket, or destroys it at once. */
  admit(socket: Socket): void {
    const address = socket.remoteAddress;
    if (address === undefined) {
      socket.destroy();
      return;
    }
    const bucket = addressBucket(address);
    if ((this.#perBucket.get(bucket) ?? 0) >= this.#limits.maxConnectionsPerAddress) {
      this.#refused++;
      socket.destroy();
      return;
    }
    if (this.#connections.size >= this.#limits.maxConnections && !this.#evictOldestIdle()) {
      this.#refused++;
      socket.destroy();
      return;
    }
    const key = keyOf(socket);
    const session = this.#unbound.get(key);
    this.#unbound.delete(key);
    const connection: Connection = {
      key,
      socket,
      bucket,
      session,
      calls: 0,
      served: false,
      activeAt: ++this.#tick,
      idle: undefined,
    };
    this.#connections.set(connection.key, connection);
    this.#perBucket.set(bucket, (this.#perBucket.get(bucket) ?? 0) + 1);
    this.#armIdle(connection);
    socket.once("close", () => this.#forget(connection));
  }

  /** The server's "session" listener: an HTTP/2 connection is closed with a GOAWAY first. */
  bindSession(session: http2.ServerHttp2Session): void {
    if (!session.socket) return;
    const key = keyOf(session.socket);
    const connection = this.#connections.get(key);
    if (connection) {
      connection.session = session;
      return;
    }
    this.#unbound.set(key, session);
    session.once("close", () => {
      if (this.#unbound.get(key) === session) this.#unbound.delete(key);
    });
  }

  /** Every request: its connection is busy (never idle-closed nor evicted) until the response closes. */
  track(req: { socket: unknown }, res: { once(event: "close", listener: () => void): unknown }): void {
    const connection = this.#connections.get(keyOf(req.socket as Socket));
    if (connection === undefined) return;
    connection.calls++;
    connection.served = true;
    connection.activeAt = ++this.#tick;
    clearTimeout(connection.idle);
    connection.idle = undefined;
    res.once("close", () => {
      connection.calls--;
      connection.activeAt = ++this.#tick;
      if (connection.calls === 0) this.#armIdle(connection);
    });
  }

  stats(): ConnectionStats {
    return {
      open: this.#connections.size,
      refused: this.#refused,
      evicted: this.#evicted,
      idleClosed: this.#idleClosed,
    };
  }

  /** Closes every connection with no call open (a server shutting down). */
  closeIdle(): void {
    for (const connection of [...this.#connections.values()]) {
      if (connection.calls === 0) this.#close(connection);
    }
  }

  /** Destroys every connection left. */
  destroyAll(): void {
    for (const connection of [...this.#connections.values()]) connection.socket.destroy();
  }

  #armIdle(connection: Connection): void {
    clearTimeout(connection.idle);
    connection.idle = setTimeout(() => {
      if (connection.calls > 0) return;
      this.#idleClosed++;
      this.#close(connection);
    }, this.#limits.idleTimeoutMs);
    connection.idle.unref?.();
  }

  /**
   * Closes one idle connection for a new one: the oldest that never made a request (a slot held, not
   * a client), else the one idle the longest, so that a client between its calls (an admin's kept-alive
   * connection) is the last to go. False when every connection has a call in progress.
   */
  #evictOldestIdle(): boolean {
    let victim: Connection | undefined;
    for (const connection of this.#connections.values()) {
      if (connection.calls > 0) continue;
      if (!connection.served) {
        victim = connection; // oldest first: the first such is the oldest
        break;
      }
      if (victim === undefined || connection.activeAt < victim.activeAt) victim = connection;
    }
    if (victim === undefined) return false;
    this.#evicted++;
    // Destroyed at once, and no longer counted: its slot is needed now.
    this.#forget(victim);
    victim.socket.destroy();
    return true;
  }

  #forget(connection: Connection): void {
    clearTimeout(connection.idle);
    if (this.#connections.get(connection.key) !== connection) return;
    this.#connections.delete(connection.key);
    const left = (this.#perBucket.get(connection.bucket) ?? 1) - 1;
    if (left === 0) this.#perBucket.delete(connection.bucket);
    else this.#perBucket.set(connection.bucket, left);
  }

  #close(connection: Connection): void {
    const { session, socket } = connection;
    if (session === undefined || session.closed || session.destroyed) {
      socket.destroy();
      return;
    }
    // GOAWAY tells an HTTP/2 client to open a new connection for its next call; a client that never
    // sent the preface (or ignores it) loses the socket shortly after.
    session.close();
    setTimeout(() => socket.destroy(), GOAWAY_GRACE_MS).unref?.();
  }
}
