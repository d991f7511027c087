// One HTTP/2 request written by hand: the headers and body bytes a hostile client would send (a body
// that never ends, a compressed one, an oversized one), and what the server answered.
import * as http2 from "node:http2";

export interface RawHttp2CallOptions {
  /** e.g. https://127.0.0.1:50000 */
  readonly url: string;
  readonly path: string;
  readonly headers: http2.OutgoingHttpHeaders;
  readonly body?: Uint8Array;
  /** Leave the request body open after `body` (default false: end it). */
  readonly keepBodyOpen?: boolean;
  /** TLS: the server's CA, the client's certificate and key. */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

export interface RawHttp2Answer {
  readonly status: number;
  readonly headers: http2.IncomingHttpHeaders;
  readonly trailers: http2.IncomingHttpHeaders;
  readonly body: Buffer;
  /** Whether this side had ended the request body when the answer ended. */
  readonly bodyEnded: boolean;
}

/**
 * Sends the request and resolves with the answer once the server has ended its side (the request
 * body may still be open: that is the point of some tests). Rejects when the stream fails.
 */
export function rawHttp2Call(options: RawHttp2CallOptions): Promise<RawHttp2Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(options.url, {
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      rejectUnauthorized: options.ca !== undefined,
    });
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": options.path, ...options.headers });
    let status = 0;
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    let bodyEnded = false;
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      headers = h;
      status = Number(h[":status"] ?? 0);
    });
    stream.on("trailers", (t) => {
      trailers = t;
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      resolve({ status, headers, trailers, body: Buffer.concat(chunks), bodyEnded });
      stream.close();
      session.close();
    });
    stream.on("error", (error) => {
      session.destroy();
      reject(error);
    });
    if (options.body !== undefined && options.body.length > 0) stream.write(options.body);
    if (options.keepBodyOpen !== true) {
      stream.end();
      bodyEnded = true;
    }
  });
}

/** A gRPC length-prefixed message: flag (1 = compressed), big-endian length, then the bytes. */
export function grpcFrame(
  message: Uint8Array,
  options: { compressed?: boolean; length?: number } = {},
): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(options.compressed ? 1 : 0, 0);
  head.writeUInt32BE(options.length ?? message.length, 1);
  return Buffer.concat([head, message]);
}
