// The gRPC connection to containerd's unix socket: one HTTP/2 session (re-established on the next
// call after containerd restarts), the namespace header on every call, an optional lease header,
// a deadline on every call, and translation of failures into ContainerdError.

import { connect as netConnect } from "node:net";
import type { DescService } from "@bufbuild/protobuf";
import {
  type Client,
  type CallOptions as ConnectCallOptions,
  createClient,
  type Transport,
} from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { ContainerdError, toContainerdError } from "./errors.ts";

/** Options every call accepts. */
export interface CallOptions {
  /** Deadline of this call in milliseconds (default: the client's timeoutMs). `Infinity` for none. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ConnectionOptions {
  /** Path of containerd's gRPC socket (its `[grpc] address`). */
  socketPath: string;
  /** containerd namespace every call is made in. */
  namespace: string;
  /** Default deadline of a call, in milliseconds (default 10 000). */
  timeoutMs?: number;
  /**
   * runc's state directory for the tasks this connection creates (default the shim's
   * /run/containerd/runc): host-wide per namespace otherwise, so a test's containerd takes its own.
   */
  runcRoot?: string;
}

export const NAMESPACE_HEADER = "containerd-namespace";
export const LEASE_HEADER = "containerd-lease";
export const DEFAULT_TIMEOUT_MS = 10_000;

// containerd's identifier rule (namespaces, container ids, lease ids, snapshot-less names).
const IDENTIFIER = /^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/;

/** Throws InvalidArgument unless `value` is a valid containerd identifier. */
export function validateIdentifier(op: string, kind: string, value: string): void {
  if (value.length === 0 || value.length > 76 || !IDENTIFIER.test(value))
    throw new ContainerdError(
      "InvalidArgument",
      op,
      `${kind} ${JSON.stringify(value)} is not a valid identifier (letters and digits separated by single '.', '_' or '-', at most 76 characters)`,
    );
}

interface Shared {
  socketPath: string;
  runcRoot: string | undefined;
  session: Http2SessionManager;
  transport: Transport;
  clients: Map<DescService, Client<DescService>>;
}

export class Connection {
  private constructor(
    private readonly shared: Shared,
    readonly namespace: string,
    readonly timeoutMs: number,
  ) {}

  static open(options: ConnectionOptions): Connection {
    validateIdentifier("connect", "namespace", options.namespace);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(timeoutMs > 0))
      throw new ContainerdError("InvalidArgument", "connect", `timeoutMs must be positive, got ${timeoutMs}`);
    const { socketPath } = options;
    const session = new Http2SessionManager(
      "http://localhost",
      { connectTimeoutMs: Math.min(timeoutMs, 5_000), idleConnectionTimeoutMs: 60 * 60_000 },
      { createConnection: () => netConnect(socketPath) },
    );
    const transport = createGrpcTransport({ baseUrl: "http://localhost", sessionManager: session });
    return new Connection(
      { socketPath, runcRoot: options.runcRoot, session, transport, clients: new Map() },
      options.namespace,
      timeoutMs,
    );
  }

  get socketPath(): string {
    return this.shared.socketPath;
  }

  get runcRoot(): string | undefined {
    return this.shared.runcRoot;
  }

  /** The same connection, making its calls in another namespace. */
  withNamespace(namespace: string): Connection {
    validateIdentifier("withNamespace", "namespace", namespace);
    return new Connection(this.shared, namespace, this.timeoutMs);
  }

  /** The same connection, with another default deadline for its calls. */
  withTimeout(timeoutMs: number): Connection {
    if (!(timeoutMs > 0))
      throw new ContainerdError(
        "InvalidArgument",
        "withTimeout",
        `timeoutMs must be positive, got ${timeoutMs}`,
      );
    return new Connection(this.shared, this.namespace, timeoutMs);
  }

  client<S extends DescService>(service: S): Client<S> {
    let c = this.shared.clients.get(service);
    if (!c) {
      c = createClient(service, this.shared.transport) as unknown as Client<DescService>;
      this.shared.clients.set(service, c);
    }
    return c as unknown as Client<S>;
  }

  /** Connect call options: deadline, signal, namespace and lease headers. */
  options(call: CallOptions | undefined, extra?: { lease?: string; timeoutMs?: number }): ConnectCallOptions {
    const timeoutMs = call?.timeoutMs ?? extra?.timeoutMs ?? this.timeoutMs;
    const headers: Record<string, string> = { [NAMESPACE_HEADER]: this.namespace };
    if (extra?.lease) headers[LEASE_HEADER] = extra.lease;
    return {
      timeoutMs: Number.isFinite(timeoutMs) ? timeoutMs : undefined,
      signal: call?.signal,
      headers,
    };
  }

  /**
   * Runs one remote operation, translating whatever it throws into a ContainerdError. Reads
   * (`idempotent`) are retried once when the connection turns out to be dead: the retry runs on a
   * fresh HTTP/2 session, which makes the first call after a containerd restart succeed.
   */
  async call<R>(op: string, fn: () => Promise<R>, options: { idempotent?: boolean } = {}): Promise<R> {
    try {
      return await fn();
    } catch (e) {
      const err = this.error(op, e);
      if (!options.idempotent || err.code !== "Unavailable") throw err;
      try {
        return await fn();
      } catch (e2) {
        throw this.error(op, e2);
      }
    }
  }

  /** call() for reads: retried once on a fresh session when the connection was dead. */
  read<R>(op: string, fn: () => Promise<R>): Promise<R> {
    return this.call(op, fn, { idempotent: true });
  }

  error(op: string, e: unknown): ContainerdError {
    return toContainerdError(op, e, this.shared.socketPath);
  }

  /** Closes the HTTP/2 session (open streams fail with Canceled). The connection reopens on the next call. */
  close(): void {
    this.shared.session.abort();
  }
}
