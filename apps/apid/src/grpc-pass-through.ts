import http2 from "node:http2";
import type { RequestCharge } from "@bronze/api";

/** What a raw pass-through needs of connect-node's Http2SessionManager (it keeps the session alive). */
export interface UpstreamSessions {
  request(
    method: string,
    path: string,
    headers: http2.OutgoingHttpHeaders,
    options: http2.ClientSessionRequestOptions,
  ): Promise<http2.ClientHttp2Stream>;
  notifyResponseByteRead(stream: http2.ClientHttp2Stream): void;
}

export interface PassThroughTarget {
  readonly sessions: UpstreamSessions;
  /** Headers for the upstream call besides the gRPC ones (the role, the forwarded mark). */
  readonly header: Readonly<Record<string, string>>;
  /** Headers added to the response (x-bronze-node). */
  readonly responseHeader?: Readonly<Record<string, string>>;
  /** The request's bytes against apid's limits (one call's, and all calls' together). */
  readonly charge: RequestCharge;
  /** The message when the upstream stream cannot be opened (for a node: the same whatever went wrong). */
  readonly unreachable: string;
}

/** Binary gRPC (`application/grpc`, `application/grpc+proto`): its bytes pass through apid unread. */
export function isBinaryGrpc(contentType: string | undefined): boolean {
  return contentType === "application/grpc" || contentType === "application/grpc+proto";
}

/**
 * gRPC proper (`application/grpc`, `+proto`, `+json`; not gRPC-web): it needs HTTP/2, whose trailers
 * carry its status. Over HTTP/1.1 a server can only answer 200 without `grpc-status`, success and
 * failure alike.
 */
export function isGrpcProper(contentType: string | undefined): boolean {
  const type = contentType?.toLowerCase(); // media types are case-insensitive (connect reads them so)
  return type?.startsWith("application/grpc") === true && !type.startsWith("application/grpc-web");
}

/** Refuses a gRPC call made over HTTP/1.1 (505), unread: gRPC is defined over HTTP/2 only. */
export function refuseGrpcOverHttp1(res: http2.Http2ServerResponse): void {
  res.writeHead(505, { "content-type": "text/plain; charset=utf-8", connection: "close" });
  res.end(
    "gRPC needs HTTP/2 (its status travels in trailers): call over HTTP/2, or use the Connect or gRPC-web protocol over HTTP/1.1\n",
  );
}

/** Request headers carried to the upstream as they are. */
const FORWARDED_REQUEST_HEADERS = ["grpc-timeout", "grpc-encoding"] as const;
/** Response headers not copied (pseudo-headers are dropped as well). */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length"]);

function copyHeaders(from: http2.IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in from) {
    const value = from[name];
    if (value === undefined || name.charCodeAt(0) === 58 /* ":" */ || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** gRPC's percent-encoding of grpc-message. */
function grpcMessage(message: string): string {
  return encodeURIComponent(message);
}

/**
 * Ends a binary gRPC call with a status (in trailers after the headers, or the headers already sent),
 * whatever of its request is still unread: once the answer is out, a request still being sent is
 * reset with NO_ERROR, as connect does, so that the caller stops sending and the stream is freed.
 */
export function answerGrpcError(res: http2.Http2ServerResponse, code: number, message: string): void {
  if (res.closed || res.writableEnded) return;
  const status = { "grpc-status": String(code), "grpc-message": grpcMessage(message) };
  if (!res.headersSent) res.writeHead(200, { "content-type": "application/grpc" });
  res.addTrailers(status);
  res.end(() => {
    const stream = res.stream;
    setImmediate(() => {
      if (!stream.closed && stream.state?.remoteClose === 0) stream.close(http2.constants.NGHTTP2_NO_ERROR);
    });
  });
}

class RequestRefusedError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The whole request body (one message for the calls passed through), within the charge's limits (one
 * call's, and the budget of every call in flight).
 */
function requestBody(
  req: http2.Http2ServerRequest,
  res: http2.Http2ServerResponse,
  charge: RequestCharge,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (res.closed) {
      reject(new Error("closed"));
      return;
    }
    res.once("close", () => reject(new Error("closed")));
    charge.expired.catch((expired: Error & { code: number; rawMessage: string }) =>
      reject(new RequestRefusedError(expired.code, expired.rawMessage)),
    );
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => {
      const refused = charge.add(chunk.length);
      if (refused !== undefined) {
        req.pause();
        reject(new RequestRefusedError(refused.code, refused.rawMessage));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      charge.bodyComplete();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    });
    req.on("error", reject);
    req.on("aborted", () => reject(new Error("aborted")));
  });
}

/** gRPC's CANCELLED: what a call ends with when its caller went away. */
const CANCELLED = 1;

/**
 * Relays one binary gRPC call (unary or server streaming) to an upstream HTTP/2 session byte for byte:
 * no envelope or protobuf work, HTTP/2 flow control end to end (a slow caller pauses the upstream
 * stream), the caller going away cancels the upstream call. Only the role headers of `target` and the
 * gRPC timeout and encoding of the request go upstream, as with apid's Connect pass-through.
 *
 * The target's session is already open (upstreams.ts). Resolves with the gRPC status the call ended
 * with (0 for OK; CANCELLED when the caller went away), for the audit log.
 */
export async function passThroughGrpc(
  req: http2.Http2ServerRequest,
  res: http2.Http2ServerResponse,
  target: PassThroughTarget,
): Promise<number> {
  const headers: http2.OutgoingHttpHeaders = {
    "content-type": req.headers["content-type"],
    te: "trailers",
    // Uncompressed on this hop: flow control then counts the bytes a slow reader holds back.
    "grpc-accept-encoding": "identity",
  };
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = req.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  for (const name in target.header) headers[name] = target.header[name];

  // The caller may go away during any await below: noticed from the start, so that nothing is left
  // waiting for it and no upstream stream outlives it. Its request bytes are held until then.
  let callerGone = false;
  res.once("close", () => {
    callerGone = true;
    target.charge.release();
  });
  // Compressed requests are refused unread, as connect refuses them (acceptCompression: []).
  const encoding = req.headers["grpc-encoding"];
  if (encoding !== undefined && encoding !== "identity") {
    answerGrpcError(
      res,
      12,
      `compression ${JSON.stringify(String(encoding).slice(0, 40))} is not accepted: send requests uncompressed`,
    ); // UNIMPLEMENTED
    return 12;
  }
  // Unary and server-streaming calls send one request message: read it all, then open the upstream
  // stream and send it in the same turn (headers and body leave in one write, not three).
  let body: Buffer;
  try {
    body = await requestBody(req, res, target.charge);
  } catch (error) {
    if (!(error instanceof RequestRefusedError)) return CANCELLED; // the caller went away
    answerGrpcError(res, error.code, error.message);
    return error.code;
  }
  // One whole message, as unary and server-streaming calls send: anything else is a caller that reset
  // its stream mid-request (Bun reports that as the end of the body too) or is not speaking gRPC.
  if (body.length < 5 || body.readUInt32BE(1) !== body.length - 5) {
    if (callerGone) return CANCELLED;
    answerGrpcError(res, 3, "the request is not one whole gRPC message"); // INVALID_ARGUMENT
    return 3;
  }
  let upstream: http2.ClientHttp2Stream;
  try {
    upstream = await target.sessions.request("POST", req.url, headers, {});
  } catch {
    if (callerGone) return CANCELLED;
    answerGrpcError(res, 14, target.unreachable); // UNAVAILABLE
    return 14;
  }
  if (callerGone) {
    upstream.close(http2.constants.NGHTTP2_CANCEL);
    return CANCELLED;
  }

  let done = false;
  let trailers: Record<string, string | string[]> | undefined;
  let settle: (code: number) => void = () => {};
  const ended = new Promise<number>((resolve) => {
    settle = resolve;
  });
  const fail = (message: string) => {
    if (done) return;
    done = true;
    answerGrpcError(res, 14, message);
    settle(14);
  };

  upstream.on("response", (responseHeaders) => {
    const out = copyHeaders(responseHeaders);
    Object.assign(out, target.responseHeader);
    // A trailers-only answer (an error): its status goes out as trailers after the headers, which
    // every gRPC client reads.
    if (out["grpc-status"] !== undefined) {
      trailers = { "grpc-status": out["grpc-status"] };
      if (out["grpc-message"] !== undefined) trailers["grpc-message"] = out["grpc-message"];
      delete out["grpc-status"];
      delete out["grpc-message"];
    }
    res.writeHead(Number(responseHeaders[":status"] ?? 200), out);
  });
  upstream.on("trailers", (t) => {
    trailers = copyHeaders(t);
  });
  upstream.on("data", (chunk: Buffer) => {
    target.sessions.notifyResponseByteRead(upstream);
    if (!res.write(chunk)) upstream.pause();
  });
  res.on("drain", () => upstream.resume());
  upstream.on("end", () => {
    if (done) return;
    done = true;
    if (!res.headersSent) res.writeHead(200, { "content-type": "application/grpc" });
    const final = trailers ?? { "grpc-status": "13", "grpc-message": "upstream sent no status" };
    res.addTrailers(final);
    res.end();
    settle(Number(final["grpc-status"] ?? 13));
  });
  upstream.on("error", (error) => fail(`upstream: ${error.message}`));
  upstream.on("close", () => {
    if (!done) fail(`upstream closed the call (code ${upstream.rstCode})`);
  });
  // The caller went away (or reset the stream) before the answer ended: cancel upstream.
  res.on("close", () => {
    if (!done) {
      done = true;
      if (!upstream.closed) upstream.close(http2.constants.NGHTTP2_CANCEL);
      settle(CANCELLED);
    }
  });
  upstream.end(body);
  return ended;
}
