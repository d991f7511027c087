// The MachineService client of the node commands: the endpoint from `-e` or the context, TLS with
// the context's CA and client certificate, gRPC over HTTP/2 (DESIGN §8: not the binary Connect
// protocol), a deadline per unary call. `--insecure --cert-fingerprint` replaces the CA and the
// client certificate by a pinned server certificate, for nodes in maintenance mode.
import { checkServerIdentity, HTTP2_CLIENT_SETTINGS, MachineService } from "@bronze/api";
import type { StreamSessions } from "@bronze/grpc-stream";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { CliError, usageError } from "../cli-error.ts";
import type { Io } from "../io.ts";
import { loadOsconfig, selectContext } from "../osconfig/osconfig.ts";
import { resolveOsconfigPath } from "../osconfig/osconfig-path.ts";
import { endpointUrl, splitEndpoint } from "./endpoint.ts";
import { connectPinned } from "./pinned-tls.ts";
import { DEFAULT_DIAGNOSIS_TIMEOUT_MS, endpointDiagnoser } from "./tls-diagnosis.ts";

export type MachineClient = Client<typeof MachineService>;

/** The global flags every node command honours. */
export interface NodeGlobals {
  osconfig?: string;
  context?: string;
  endpoints?: string[];
  nodes?: string[];
  /** Milliseconds; each command has its own default. */
  timeout?: number;
}

export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
/** How long `reboot --wait` and `health` wait unless --timeout says otherwise. */
export const DEFAULT_WAIT_TIMEOUT_MS = 10 * 60_000;

export interface NodeSession {
  client: MachineClient;
  /** The HTTP/2 session of `client`, for calls whose bytes are read raw (client/bytes-stream.ts). */
  sessions: StreamSessions;
  /** The apid every call goes to. */
  endpoint: string;
  /** The nodes to address with `x-bronze-node`; empty means the endpoint's own node. */
  nodes: string[];
  /** Deadline of a unary call, or the bound of a wait. */
  timeoutMs: number;
  /** After a call failed before any answer: what a diagnostic TLS handshake says went wrong. */
  diagnose?: () => Promise<string | undefined>;
  close(): void;
}

export interface OpenOptions {
  defaultTimeoutMs?: number;
  /** Maintenance mode: no client certificate, the server pinned by this SHA-256 fingerprint. */
  insecureFingerprint?: string;
}

function decode(field: string, value: string, path: string, context: string): string {
  // Decoded here rather than with @bronze/pki: node commands should not load the X.509 code.
  const pem = Buffer.from(value.replace(/\s+/g, ""), "base64").toString("utf8");
  if (!pem.includes("-----BEGIN "))
    throw new CliError(
      "invalid-input",
      `${path}: context "${context}": ${field} is not base64 of a PEM document`,
    );
  return pem;
}

function transport(endpoint: string, sessionManager: Http2SessionManager) {
  return createGrpcTransport({ baseUrl: endpointUrl(endpoint), sessionManager });
}

export async function openNodeSession(
  globals: NodeGlobals,
  io: Io,
  options: OpenOptions = {},
): Promise<NodeSession> {
  const timeoutMs = globals.timeout ?? options.defaultTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  if (options.insecureFingerprint !== undefined) {
    const targets = [...(globals.endpoints ?? []), ...(globals.nodes ?? [])];
    const endpoint = targets[0];
    if (!endpoint || new Set(targets).size > 1)
      throw usageError("--insecure talks to exactly one node: give it with -n (or -e)");
    const socket = await connectPinned(endpoint, options.insecureFingerprint, timeoutMs);
    let handedOut = false;
    const manager = new Http2SessionManager(endpointUrl(endpoint), undefined, {
      createConnection: () => {
        // One verified socket; a second connection could reach an unverified server.
        if (handedOut) throw new CliError("failed", `${endpoint}: the pinned connection was lost`);
        handedOut = true;
        return socket;
      },
      settings: HTTP2_CLIENT_SETTINGS,
    });
    return {
      client: createClient(MachineService, transport(endpoint, manager)),
      sessions: manager,
      endpoint,
      nodes: [],
      timeoutMs,
      close: () => {
        manager.abort();
        socket.destroy();
      },
    };
  }

  const path = resolveOsconfigPath(globals.osconfig, io);
  const { name, context } = selectContext(loadOsconfig(path), globals.context, path);
  const endpoints = globals.endpoints?.length ? globals.endpoints : context.endpoints;
  const endpoint = endpoints[0];
  if (!endpoint)
    throw usageError(
      `no endpoint: give one with -e, or set the context's with \`osctl config endpoint <address>\` (${path}, context "${name}")`,
    );
  const credentials = {
    ca: decode("ca", context.ca, path, name),
    cert: decode("crt", context.crt, path, name),
    key: decode("key", context.key, path, name),
  };
  const manager = new Http2SessionManager(endpointUrl(endpoint), undefined, {
    ...credentials,
    // The endpoint must be among the server certificate's SANs: a CN naming it is never enough.
    checkServerIdentity,
    settings: HTTP2_CLIENT_SETTINGS,
  });
  return {
    client: createClient(MachineService, transport(endpoint, manager)),
    sessions: manager,
    endpoint,
    nodes: globals.nodes?.length ? globals.nodes : context.nodes,
    timeoutMs,
    diagnose: endpointDiagnoser(
      endpoint,
      { ...splitEndpoint(endpoint), ...credentials },
      Math.min(timeoutMs, DEFAULT_DIAGNOSIS_TIMEOUT_MS),
    ),
    close: () => manager.abort(),
  };
}

/** Opens a session, runs `fn`, and closes the connection whatever happens. */
export async function withNodeSession<T>(
  globals: NodeGlobals,
  io: Io,
  options: OpenOptions,
  fn: (session: NodeSession) => Promise<T>,
): Promise<T> {
  const session = await openNodeSession(globals, io, options);
  try {
    return await fn(session);
  } finally {
    session.close();
  }
}
