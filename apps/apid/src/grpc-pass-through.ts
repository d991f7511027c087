import http2 from "node:http2";

/** What a raw pass-through needs of connect-node's Http2SessionManager (it keeps the session alive). */
export interface UpstreamSessions {
  /** Opens (or checks) the session: "error" when it cannot. */
  connect(): Promise<string>;
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
}

/** Binary gRPC (`application/grpc`, `application/grpc+proto`): its bytes pass through apid unread. */
export function isBinaryGrpc(contentType: string | undefined): boolean {
  return contentType === "application/grpc" || contentType === "application/grpc+proto";
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

/** Ends the call with a gRPC status (in trailers after the headers, or the headers already sent). */
function answerError(res: http2.Http2ServerResponse, code: number, message: string): void {
  const status = { "grpc-status": String(code), "grpc-message": grpcMessage(message) };
  if (!res.headersSent) res.writeHead(200, { "content-type": "application/grpc" });
  res.addTrailers(status);
  res.end();
}

/** The most a passed-through request may carry: one request message (a machine config is the largest). */
export const MAX_REQUEST_BYTES = 8 << 20;

class RequestTooLargeError extends Error {}

/** The whole request body (one message for the calls passed through), at most MAX_REQUEST_BYTES. */
function requestBody(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (res.closed) {
      reject(new Error("closed"));
      return;
    }
    res.once("close", () => reject(new Error("closed")));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        req.pause();
        reject(new RequestTooLargeError(`the request is larger than ${MAX_REQUEST_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    req.on("error", reject);
    req.on("aborted", () => reject(new Error("aborted")));
  });
}

/**
 * Relays one binary gRPC call (unary or server streaming) to an upstream HTTP/2 session byte for byte:
 * no envelope or protobuf work, HTTP/2 flow control end to end (a slow caller pauses the upstream
 * stream), the caller going away cancels the upstream call. Only the role headers of `target` and the
 * gRPC timeout and encoding of the request go upstream, as with apid's Connect pass-through.
 *
 * Resolves false, with nothing read from the caller and nothing answered, when the upstream stream
 * cannot be opened: the caller may then answer the call another way (with a proper error).
 */
export async function passThroughGrpc(
  req: http2.Http2ServerRequest,
  res: http2.Http2ServerResponse,
  target: PassThroughTarget,
): Promise<boolean> {
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
  // waiting for it and no upstream stream outlives it.
  let callerGone = false;
  res.once("close", () => {
    callerGone = true;
  });
  if ((await target.sessions.connect()) === "error") return false;
  if (callerGone) return true;
  // Unary and server-streaming calls send one request message: read it all, then open the upstream
  // stream and send it in the same turn (headers and body leave in one write, not three).
  let body: Buffer;
  try {
    body = await requestBody(req, res);
  } catch (error) {
    if (error instanceof RequestTooLargeError) answerError(res, 8, error.message); // RESOURCE_EXHAUSTED
    return true; // otherwise the caller went away
  }
  let upstream: http2.ClientHttp2Stream;
  try {
    upstream = await target.sessions.request("POST", req.url, headers, {});
  } catch (error) {
    if (!callerGone) answerError(res, 14, `cannot reach the upstream: ${(error as Error).message}`);
    return true;
  }
  if (callerGone) {
    upstream.close(http2.constants.NGHTTP2_CANCEL);
    return true;
  }

  let done = false;
  let trailers: Record<string, string | string[]> | undefined;
  const fail = (message: string) => {
    if (done) return;
    done = true;
    answerError(res, 14, message);
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
    res.addTrailers(trailers ?? { "grpc-status": "13", "grpc-message": "upstream sent no status" });
    res.end();
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
    }
  });
  upstream.end(body);
  return true;
}
