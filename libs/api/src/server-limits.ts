// The limits of Bronze's API servers (apid, trustd, machined's socket), in one place: what a caller
// may make a server hold before it is authorised, and after. apid and trustd get the connection
// limits through serveHttp2Tls (serve-http2-tls.ts); machined's socket server passes
// MACHINED_CONNECT_OPTIONS to connectNodeAdapter and MACHINED_HTTP2_SETTINGS to createServer.
import type { Http2TlsLimits } from "./connection-guard.ts";

/** The largest request message apid and machined read: a machine config is the largest there is. */
export const MAX_REQUEST_BYTES = 8 << 20;

/** The most one EtcdRecover call carries of a snapshot (osctl sends parts of this size). */
export const ETCD_RECOVER_PART_BYTES = 4 << 20;

/** The largest request of every other method: ids, paths, flags (a few hundred bytes in practice). */
export const SMALL_REQUEST_BYTES = 64 << 10;

/**
 * The request limit of a MachineService method, by its path (`/bronze.machine.v1.MachineService/X`):
 * ApplyConfiguration carries a machine config and EtcdRecover a part of an etcd snapshot (4 MiB at
 * most), nothing else carries more than a path. The same on apid and machined, so that a caller
 * allowed to call Version cannot make apid hold 8 MiB for it (the hostile-input bench: 64 such calls
 * at once OOM-killed apid). Both large ones are admin-only.
 */
export function requestLimitFor(path: string): number {
  return path.endsWith("/ApplyConfiguration") || path.endsWith("/EtcdRecover")
    ? MAX_REQUEST_BYTES
    : SMALL_REQUEST_BYTES;
}

/** The largest request trustd reads: one CSR (a few hundred bytes) and its framing. */
export const TRUSTD_MAX_REQUEST_BYTES = 64 << 10;

/** Request bytes trustd holds at once over every call in flight (64 calls of the largest request). */
export const TRUSTD_REQUEST_BUFFER_BUDGET_BYTES = 4 << 20;

/** How long a request body may take to arrive at trustd (a CSR is a few hundred bytes). */
export const TRUSTD_REQUEST_BODY_TIMEOUT_MS = 10_000;

/**
 * Request bytes apid holds in memory at once, over all calls in flight (it runs under a 128 MiB memory
 * limit): a call that would go past it is refused with RESOURCE_EXHAUSTED.
 */
export const REQUEST_BUFFER_BUDGET_BYTES = 32 << 20;

/**
 * How long a call's request body may take to arrive at apid (a machine config is a few KB; 8 MiB in
 * 30 s is 280 KB/s): a body that never ends would hold its stream, and keep its connection busy.
 */
export const REQUEST_BODY_TIMEOUT_MS = 30_000;

/** HTTP/2 streams one client connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS). */
export const MAX_CONCURRENT_STREAMS = 100;

/**
 * machined's socket has one client, apid, whose one session carries every caller's calls: its stream
 * cap bounds all of them together. A stream over it is refused (REFUSED_STREAM, Unavailable to the caller).
 */
export const MACHINED_MAX_CONCURRENT_STREAMS = 1000;

/** The connection limits of apid and trustd (each injectable for tests through serveHttp2Tls). */
export const DEFAULT_TLS_LIMITS: Http2TlsLimits = {
  // A TLS handshake not done by then is dropped (Bun's own default is 120 s).
  handshakeTimeoutMs: 10_000,
  // A connection with no call open (after the handshake, or never sending the HTTP/2 preface) is closed.
  idleTimeoutMs: 60_000,
  // apid and trustd run with RLIMIT_NOFILE 1024: connections stay well below it, leaving room for
  // apid's upstream sessions, machined's socket and the files they read.
  maxConnections: 512,
  maxConnectionsPerAddress: 32,
  maxConcurrentStreams: MAX_CONCURRENT_STREAMS,
};

/** connectNodeAdapter options for machined's socket server: bounded requests, no compression. */
export const MACHINED_CONNECT_OPTIONS: { readonly readMaxBytes: number; readonly acceptCompression: [] } = {
  readMaxBytes: MAX_REQUEST_BYTES,
  // A unix socket has bandwidth to spare; decompressing is what turns a small request into a huge one.
  acceptCompression: [],
};

/** HTTP/2 settings for machined's socket server (http2.createServer({ settings })). */
export const MACHINED_HTTP2_SETTINGS = { maxConcurrentStreams: MACHINED_MAX_CONCURRENT_STREAMS } as const;
