// A gRPC server-streaming call whose answer is bytes (a snapshot, a file, a log), made straight on an
// HTTP/2 session: the request goes out as one message, and the answer's `bytes` field comes back as
// the pieces the HTTP/2 chunks hold (BytesFieldDecoder), with no message assembled. A Connect client
// assembles every message into a new buffer and decodes it, which costs more CPU than moving the
// bytes; this path is for the streams where that shows. Headers, deadline, status and errors follow
// gRPC as connect's own gRPC transport does (its protocol-grpc helpers are used for them), and a
// failed call throws the same ConnectError.

import type http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { requestHeader, validateResponse, validateTrailer } from "@connectrpc/connect/protocol-grpc";
import { BytesFieldDecoder, GrpcStreamError } from "./bytes-field-decoder.ts";

/** What the call needs of connect-node's Http2SessionManager (it keeps the session alive). */
export interface StreamSessions {
  request(
    method: string,
    path: string,
    headers: http2.OutgoingHttpHeaders,
    options: Omit<http2.ClientSessionRequestOptions, "signal">,
  ): Promise<http2.ClientHttp2Stream>;
  notifyResponseByteRead(stream: http2.ClientHttp2Stream): void;
}

export interface BytesStreamCall {
  readonly sessions: StreamSessions;
  /** `/package.Service/Method` */
  readonly path: string;
  /** The request message, serialized (toBinary). */
  readonly request: Uint8Array;
  /** The number of the answer's `bytes` field. */
  readonly field: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** The call's deadline (sent as grpc-timeout, and enforced here). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Each message's end, with its varint fields by number. */
  readonly onMessage?: (varints: ReadonlyMap<number, bigint>) => void;
  /** The answer's headers, once they arrive. */
  readonly onHeader?: (header: Headers) => void;
}

/** HTTP/2's CANCEL, to reset a stream nobody reads any more. */
const NGHTTP2_CANCEL = 8;

function toHeaders(from: http2.IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const name in from) {
    const value = from[name];
    if (value === undefined || name.startsWith(":")) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
  }
  return out;
}

function toOutgoing(headers: Headers): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

function envelope(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

/**
 * The pieces of the answer's bytes field, in order. Each piece is a view of what HTTP/2 delivered and
 * stays valid. Throws a ConnectError as a Connect client would: the call's status, Canceled on the
 * signal, DeadlineExceeded past the deadline, Internal for a malformed answer. Stopping the iteration
 * early cancels the call.
 */
export async function* callBytesStream(call: BytesStreamCall): AsyncGenerator<Uint8Array> {
  call.signal?.throwIfAborted();
  // grpc-timeout takes whole units: none for an open-ended call
  const timeoutMs =
    call.timeoutMs !== undefined && Number.isFinite(call.timeoutMs)
      ? Math.max(1, Math.ceil(call.timeoutMs))
      : undefined;
  const header = requestHeader(true, timeoutMs, call.headers);
  let stream: http2.ClientHttp2Stream;
  try {
    stream = await call.sessions.request("POST", call.path, toOutgoing(header), {});
  } catch (err) {
    throw ConnectError.from(err, Code.Unavailable);
  }
  let stopped: ConnectError | undefined;
  const stop = (error: ConnectError) => {
    stopped ??= error;
    if (!stream.closed) stream.close(NGHTTP2_CANCEL);
  };
  const onAbort = () => stop(new ConnectError("the call was canceled", Code.Canceled));
  call.signal?.addEventListener("abort", onAbort);
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => stop(new ConnectError(`the deadline of ${timeoutMs} ms passed`, Code.DeadlineExceeded)),
          timeoutMs,
        );
  let responseHeader: Headers | undefined;
  let trailer: Headers | undefined;
  stream.once("response", (h) => {
    responseHeader = toHeaders(h);
    try {
      // throws for an HTTP error or a content type that is not gRPC's
      const { headerError } = validateResponse(Number(h[":status"] ?? 0), responseHeader);
      if (headerError) stop(headerError);
      else call.onHeader?.(responseHeader);
    } catch (err) {
      stop(ConnectError.from(err, Code.Internal));
    }
  });
  stream.once("trailers", (t) => {
    trailer = toHeaders(t);
  });
  let pieces: Uint8Array[] = [];
  const decoder = new BytesFieldDecoder(call.field, {
    onBytes: (piece) => pieces.push(piece),
    onMessage: call.onMessage,
  });
  stream.end(envelope(call.request));
  try {
    try {
      for await (const chunk of stream as AsyncIterable<Uint8Array>) {
        call.sessions.notifyResponseByteRead(stream);
        if (stopped) break;
        decoder.push(chunk);
        const ready = pieces;
        pieces = [];
        for (const piece of ready) yield piece;
      }
    } catch (err) {
      if (stopped) throw stopped;
      if (err instanceof GrpcStreamError) throw new ConnectError(err.message, Code.Internal);
      throw ConnectError.from(err, Code.Unavailable);
    }
    if (stopped) throw stopped;
    if (responseHeader === undefined)
      throw new ConnectError(`the stream was reset (code ${stream.rstCode})`, Code.Unavailable);
    // A trailers-only answer carries its status in its headers; none at all is an Internal error.
    validateTrailer(trailer ?? responseHeader, responseHeader);
    try {
      decoder.end();
    } catch (err) {
      throw new ConnectError((err as Error).message, Code.Internal);
    }
  } finally {
    clearTimeout(timer);
    call.signal?.removeEventListener("abort", onAbort);
    if (!stream.closed) stream.close(NGHTTP2_CANCEL);
  }
}
