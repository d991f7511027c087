// Hand-written requests to apid or trustd for the hostile-input bench: HTTP/2 over a few kept
// sessions (a fuzz sends thousands; a TLS handshake for each would measure handshakes), and HTTP/1.1
// over a TLS socket written by hand. Whatever the server does — answers, resets the stream, drops the
// connection, or says nothing — comes back as an outcome, never as an exception.
import http2 from "node:http2";
import { connect as tlsConnect } from "node:tls";
import type { WireAnswer } from "../../src/hostile/wire-answer.ts";
import type { RawOutcome } from "../../src/hostile/wire-verdict.ts";

export interface RawRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

export interface RawTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/** Bodies past this are not kept (an answer's size is still counted). */
const KEEP_BYTES = 1 << 20;

export class RawHttp2Pool {
  readonly #sessions: (http2.ClientHttp2Session | undefined)[];
  #next = 0;
  /** Sessions the server closed or broke (each replaced on its next use). */
  sessionsLost = 0;

  constructor(
    private readonly url: string,
    private readonly tls: RawTls,
    size: number,
  ) {
    this.#sessions = Array.from({ length: size }, () => undefined);
  }

  #session(): http2.ClientHttp2Session {
    const i = this.#next++ % this.#sessions.length;
    const existing = this.#sessions[i];
    if (existing !== undefined && !existing.closed && !existing.destroyed) return existing;
    if (existing !== undefined) this.sessionsLost++;
    const session = http2.connect(this.url, {
      ca: this.tls.ca,
      cert: this.tls.cert,
      key: this.tls.key,
      rejectUnauthorized: false,
    });
    session.on("error", () => {});
    this.#sessions[i] = session;
    return session;
  }

  request(req: RawRequest, timeoutMs: number): Promise<RawOutcome> {
    const t0 = performance.now();
    const ms = () => performance.now() - t0;
    return new Promise<RawOutcome>((resolve) => {
      let settled = false;
      const done = (outcome: RawOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      let stream: http2.ClientHttp2Stream;
      try {
        stream = this.#session().request({ ":method": "POST", ":path": req.path, ...req.headers });
      } catch (error) {
        done({
          kind: "dropped",
          message: `request refused by the client: ${(error as Error).message}`,
          ms: ms(),
        });
        return;
      }
      let answered = false;
      let status = 0;
      let headers: WireAnswer["headers"] = {};
      let trailers: WireAnswer["trailers"] = {};
      const chunks: Buffer[] = [];
      let kept = 0;
      const timer = setTimeout(() => {
        done({ kind: "timeout", answered, ms: ms() });
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }, timeoutMs);
      stream.on("response", (h) => {
        answered = true;
        headers = h;
        status = Number(h[":status"] ?? 0);
      });
      stream.on("trailers", (t) => {
        trailers = t;
      });
      stream.on("data", (chunk: Buffer) => {
        if (kept < KEEP_BYTES) chunks.push(chunk);
        kept += chunk.length;
      });
      stream.on("end", () =>
        done({
          kind: "answer",
          answer: { status, headers, trailers, body: Buffer.concat(chunks) },
          ms: ms(),
        }),
      );
      stream.on("close", () => {
        if (stream.rstCode !== undefined && stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR)
          done({ kind: "reset", code: stream.rstCode, ms: ms() });
        else if (answered)
          done({
            kind: "answer",
            answer: { status, headers, trailers, body: Buffer.concat(chunks) },
            ms: ms(),
          });
        else done({ kind: "dropped", message: "the stream closed without an answer", ms: ms() });
      });
      stream.on("error", (error) => {
        if (stream.rstCode !== undefined && stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR)
          done({ kind: "reset", code: stream.rstCode, ms: ms() });
        else done({ kind: "dropped", message: error.message, ms: ms() });
      });
      stream.end(Buffer.from(req.body));
    });
  }

  close(): void {
    for (const s of this.#sessions) s?.destroy();
  }
}

/** Decodes a chunked HTTP/1.1 body and its trailer section; what cannot be decoded is returned as it is. */
function dechunk(body: Buffer): { body: Buffer; trailers: Record<string, string> } {
  const parts: Buffer[] = [];
  const trailers: Record<string, string> = {};
  let at = 0;
  while (at < body.length) {
    const eol = body.indexOf("\r\n", at);
    if (eol < 0) return { body, trailers };
    const size = Number.parseInt(body.subarray(at, eol).toString(), 16);
    if (Number.isNaN(size)) return { body, trailers };
    if (size === 0) {
      for (const line of body
        .subarray(eol + 2)
        .toString("latin1")
        .split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      break;
    }
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return { body: Buffer.concat(parts), trailers };
}

/** One HTTP/1.1 request on its own TLS connection (`Connection: close`), parsed by hand. */
export function http1Request(
  port: number,
  tls: RawTls,
  req: RawRequest,
  timeoutMs: number,
): Promise<RawOutcome> {
  const t0 = performance.now();
  const ms = () => performance.now() - t0;
  return new Promise<RawOutcome>((resolve) => {
    let settled = false;
    const socket = tlsConnect({
      host: "127.0.0.1",
      port,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      rejectUnauthorized: false,
      ALPNProtocols: ["http/1.1"],
    });
    const done = (outcome: RawOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(
      () => done({ kind: "timeout", answered: received.length > 0, ms: ms() }),
      timeoutMs,
    );
    const received: Buffer[] = [];
    let size = 0;
    socket.on("data", (chunk: Buffer) => {
      if (size < KEEP_BYTES) received.push(chunk);
      size += chunk.length;
    });
    socket.on("error", (error) => done({ kind: "dropped", message: error.message, ms: ms() }));
    socket.on("close", () => {
      const all = Buffer.concat(received);
      const end = all.indexOf("\r\n\r\n");
      if (end < 0) {
        done({
          kind: "dropped",
          message: `the connection closed after ${all.length} bytes, no answer`,
          ms: ms(),
        });
        return;
      }
      const [statusLine = "", ...lines] = all.subarray(0, end).toString("latin1").split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const raw = all.subarray(end + 4);
      const { body, trailers } = /chunked/i.test(headers["transfer-encoding"] ?? "")
        ? dechunk(raw)
        : { body: raw, trailers: {} };
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
      done({ kind: "answer", answer: { status, headers, trailers, body }, ms: ms() });
    });
    socket.once("secureConnect", () => {
      const head = [
        `POST ${req.path} HTTP/1.1`,
        `Host: 127.0.0.1:${port}`,
        `Content-Length: ${req.body.length}`,
        "Connection: close",
        ...Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`),
        "",
        "",
      ].join("\r\n");
      socket.write(head);
      socket.write(Buffer.from(req.body));
    });
  });
}
