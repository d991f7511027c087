/**
 * A lean gRPC server-streaming call over one HTTP/2 stream, for the hot streams (Logs): it sends the
 * one request message and yields the response messages' bytes as they arrive, without the Connect
 * client pipeline (whose receive path cost as much CPU as reading the file locally). A message inside
 * one received chunk is yielded as a view of that chunk; only a message cut across chunks is copied.
 * Failures are ConnectErrors with the gRPC status's Code, as a Connect client throws them.
 */
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  constants,
  type OutgoingHttpHeaders,
} from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";

/** Opens an HTTP/2 request stream (POST) on `path` with these headers. */
export type OpenHttp2Stream = (
  path: string,
  headers: OutgoingHttpHeaders,
) => ClientHttp2Stream | Promise<ClientHttp2Stream>;

export interface GrpcStreamOptions {
  /** The method's path, e.g. `/bronze.machine.v1.MachineService/Logs`. */
  path: string;
  /** The request message, serialized (without the 5-byte gRPC prefix). */
  request: Uint8Array;
  /** More request headers (e.g. `x-bronze-node`). */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** The call's deadline: sent as grpc-timeout, and the call fails with DeadlineExceeded after it. */
  timeoutMs?: number;
}

/** Received bytes not yet taken by the consumer before the stream is paused. */
const HIGH_WATER_BYTES = 1024 * 1024;

/** Opens streams on a node:http2 session. */
export function sessionStreamOpener(session: ClientHttp2Session): OpenHttp2Stream {
  return (path, headers) => session.request({ ":method": "POST", ":path": path, ...headers });
}

/** The 5-byte gRPC prefix (uncompressed) and the message. */
export function grpcFrame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

/** The Code of a gRPC response that is not HTTP 200 (as gRPC's HTTP-to-status mapping). */
function codeOfHttpStatus(status: number): Code {
  switch (status) {
    case 400:
      return Code.Internal;
    case 401:
      return Code.Unauthenticated;
    case 403:
      return Code.PermissionDenied;
    case 404:
      return Code.Unimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.Unavailable;
    default:
      return Code.Unknown;
  }
}

function headerValue(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const v = headers?.[name];
  return Array.isArray(v) ? String(v[0]) : v === undefined ? undefined : String(v);
}

function decodeGrpcMessage(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function metadataOf(...sources: (Record<string, unknown> | undefined)[]): Headers {
  const out = new Headers();
  for (const h of sources)
    for (const [k, v] of Object.entries(h ?? {}))
      if (!k.startsWith(":")) for (const x of Array.isArray(v) ? v : [v]) out.append(k, String(x));
  return out;
}

/**
 * Incremental parser of 5-byte-framed gRPC messages: `push` takes the next received chunk and returns
 * the messages it completes. Messages wholly inside the chunk are views of it (the chunk must not be
 * reused by its producer); a message cut across chunks is assembled into its own buffer.
 */
export class GrpcFrameParser {
  readonly #header = new Uint8Array(5);
  #headerLength = 0;
  #message: Uint8Array | undefined;
  #filled = 0;

  /** Whether a message (or its prefix) was cut by the end of the last chunk. */
  get partial(): boolean {
    return this.#headerLength > 0 || this.#message !== undefined;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let off = 0;
    while (off < chunk.length) {
      if (this.#message !== undefined) {
        const n = Math.min(this.#message.length - this.#filled, chunk.length - off);
        this.#message.set(chunk.subarray(off, off + n), this.#filled);
        this.#filled += n;
        off += n;
        if (this.#filled === this.#message.length) {
          out.push(this.#message);
          this.#message = undefined;
        }
        continue;
      }
      let flags: number;
      let length: number;
      if (this.#headerLength === 0 && chunk.length - off >= 5) {
        flags = chunk[off] as number;
        length =
          (((chunk[off + 1] as number) << 24) |
            ((chunk[off + 2] as number) << 16) |
            ((chunk[off + 3] as number) << 8) |
            (chunk[off + 4] as number)) >>>
          0;
        off += 5;
      } else {
        const n = Math.min(5 - this.#headerLength, chunk.length - off);
        this.#header.set(chunk.subarray(off, off + n), this.#headerLength);
        this.#headerLength += n;
        off += n;
        if (this.#headerLength < 5) break;
        this.#headerLength = 0;
        flags = this.#header[0] as number;
        length = new DataView(this.#header.buffer).getUint32(1);
      }
      if (flags !== 0)
        throw new ConnectError(
          `gRPC message with flags 0x${flags.toString(16)}: compression was not asked for`,
          Code.Internal,
        );
      if (chunk.length - off >= length) {
        out.push(chunk.subarray(off, off + length));
        off += length;
      } else {
        this.#message = new Uint8Array(length);
        this.#filled = 0;
      }
    }
    return out;
  }
}

/**
 * Calls a server-streaming gRPC method and yields each response message's bytes. Ending the loop early
 * (break, or an abort of `signal`) cancels the HTTP/2 stream (RST_STREAM CANCEL). Received data waits
 * for the consumer: past 1 MiB not taken, the stream is paused, and HTTP/2 flow control holds the sender.
 */
export async function* grpcServerStream(
  open: OpenHttp2Stream,
  options: GrpcStreamOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  const { signal, timeoutMs } = options;
  if (signal?.aborted) throw new ConnectError("the call was aborted", Code.Canceled);
  const headers: OutgoingHttpHeaders = {
    ...options.headers,
    "content-type": "application/grpc+proto",
    te: "trailers",
  };
  if (timeoutMs !== undefined) headers["grpc-timeout"] = `${Math.max(1, Math.ceil(timeoutMs))}m`;

  let failure: ConnectError | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (e: ConnectError) => {
    failure ??= e;
    notify();
  };
  const onAbort = () => fail(new ConnectError("the call was aborted", Code.Canceled));
  signal?.addEventListener("abort", onAbort, { once: true });
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => fail(new ConnectError("the call's deadline was exceeded", Code.DeadlineExceeded)),
          timeoutMs,
        );

  let stream: ClientHttp2Stream | undefined;
  try {
    try {
      stream = await open(options.path, headers);
    } catch (e) {
      throw new ConnectError(
        e instanceof Error ? e.message : String(e),
        Code.Unavailable,
        undefined,
        undefined,
        e,
      );
    }
    const s = stream;
    const chunks: Uint8Array[] = [];
    let queued = 0;
    let response: Record<string, unknown> | undefined;
    let trailers: Record<string, unknown> | undefined;
    let closed = false;
    s.on("response", (h) => {
      response = h as Record<string, unknown>;
    });
    s.on("trailers", (t) => {
      trailers = t as Record<string, unknown>;
    });
    s.on("data", (chunk: Uint8Array) => {
      chunks.push(chunk);
      queued += chunk.length;
      if (queued > HIGH_WATER_BYTES) s.pause();
      notify();
    });
    s.on("error", (e: Error) => {
      fail(new ConnectError(e.message, Code.Unavailable, undefined, undefined, e));
    });
    s.on("close", () => {
      closed = true;
      notify();
    });
    s.end(grpcFrame(options.request));

    const parser = new GrpcFrameParser();
    for (;;) {
      if (failure) throw failure;
      const chunk = chunks.shift();
      if (chunk !== undefined) {
        queued -= chunk.length;
        if (queued <= HIGH_WATER_BYTES && s.isPaused()) s.resume();
        // A non-200 response carries no gRPC messages: its status decides (below, at close).
        if (response !== undefined && Number(response[":status"]) !== 200) continue;
        for (const message of parser.push(chunk)) {
          yield message;
          if (failure) throw failure;
        }
        continue;
      }
      if (closed) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }

    const status = response === undefined ? undefined : Number(response[":status"]);
    if (status !== undefined && status !== 200)
      throw new ConnectError(`HTTP ${status}`, codeOfHttpStatus(status), metadataOf(response));
    // Trailers, or a trailers-only response (the status in the headers).
    const ends = trailers ?? response;
    const grpcStatus = headerValue(ends, "grpc-status");
    if (grpcStatus === undefined) {
      if (s.rstCode !== undefined && s.rstCode !== constants.NGHTTP2_NO_ERROR)
        throw new ConnectError(`the stream was reset (HTTP/2 error ${s.rstCode})`, Code.Unavailable);
      throw new ConnectError("the response ended without a grpc-status", Code.Internal);
    }
    const code = Number(grpcStatus);
    if (code !== 0)
      throw new ConnectError(
        decodeGrpcMessage(headerValue(ends, "grpc-message") ?? ""),
        Number.isInteger(code) && code > 0 && code <= 16 ? (code as Code) : Code.Unknown,
        metadataOf(response, trailers),
      );
    if (parser.partial) throw new ConnectError("the response ended inside a gRPC message", Code.Internal);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (timer !== undefined) clearTimeout(timer);
    if (stream && !stream.closed) stream.close(constants.NGHTTP2_CANCEL);
  }
}
