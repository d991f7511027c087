// Small tools the review's cases share: error codes in Connect's wire names, gRPC frames, many idle
// or silent connections from several source addresses, many streams opened and left unread.
import http2 from "node:http2";
import { connect as netConnect } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import { brotliCompressSync, gzipSync, constants as zlib } from "node:zlib";
import { Code, ConnectError } from "@connectrpc/connect";
import type { RawTls } from "./raw-client.ts";

/** A Connect code in its wire name (invalid_argument), "ok" for no error, "error: ..." for others. */
export function codeName(error: unknown): string {
  if (error === undefined) return "ok";
  if (error instanceof ConnectError)
    return Code[error.code].replace(/[A-Z]/g, (c, i) => (i === 0 ? c.toLowerCase() : `_${c.toLowerCase()}`));
  return `error: ${error instanceof Error ? error.message : String(error)}`.slice(0, 200);
}

/** A call's outcome: its code, message and time, never a throw. */
export async function attempt<T>(
  call: () => Promise<T>,
): Promise<{ code: string; message: string; value?: T; ms: number }> {
  const t0 = performance.now();
  try {
    const value = await call();
    return { code: "ok", message: "", value, ms: performance.now() - t0 };
  } catch (error) {
    const message = error instanceof ConnectError ? error.rawMessage : String(error);
    return { code: codeName(error), message, ms: performance.now() - t0 };
  }
}

export const KiB = 1024;
export const MiB = 1024 * KiB;

let bombCache: { brotli: Buffer; gzip: Buffer } | undefined;

/**
 * The review's compression bombs, made once (seconds of CPU: before the measurements start): 100 MB of
 * spaces as brotli (a few hundred bytes) and 100 MiB of zeros as gzip (about 100 KiB).
 */
export function bombs(): { brotli: Buffer; gzip: Buffer } {
  bombCache ??= {
    brotli: brotliCompressSync(Buffer.alloc(100 * 1000 * 1000, " "), {
      params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_LGWIN]: 24 },
    }),
    gzip: gzipSync(Buffer.alloc(100 * MiB)),
  };
  return bombCache;
}

/** A gRPC length-prefixed message. */
export function grpcFrame(
  message: Uint8Array,
  options: { compressed?: boolean; length?: number } = {},
): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(options.compressed ? 1 : 0, 0);
  head.writeUInt32BE(options.length ?? message.length, 1);
  return Buffer.concat([head, message]);
}

/** A protobuf message of one unknown length-delimited field (number 15) of `size` bytes: any request ignores it. */
export function unknownFieldMessage(size: number): Buffer {
  const len: number[] = [];
  let v = size;
  while (v > 0x7f) {
    len.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  len.push(v);
  return Buffer.concat([Buffer.from([0x7a, ...len]), Buffer.alloc(size, 0x61)]);
}

/** Source addresses 127.0.0.<first>... (the loopback routes all of 127/8: distinct clients). */
export const sources = (count: number, first = 2) =>
  Array.from(
    { length: count },
    (_, i) => `127.0.${Math.floor((first + i) / 250)}.${((first + i) % 250) + 1}`,
  );

/** TLS connections that complete the handshake and then send nothing (no HTTP/2 preface). */
export async function silentTls(
  port: number,
  count: number,
  from: readonly string[],
  tls: RawTls = {},
): Promise<{ open: () => number; close: () => void }> {
  const sockets: TLSSocket[] = [];
  let open = 0;
  await Promise.all(
    Array.from(
      { length: count },
      (_, i) =>
        new Promise<void>((resolve) => {
          const tcp = netConnect({ host: "127.0.0.1", port, localAddress: from[i % from.length] });
          tcp.on("error", () => resolve());
          const socket = tlsConnect({
            socket: tcp,
            rejectUnauthorized: false,
            cert: tls.cert,
            key: tls.key,
          });
          sockets.push(socket);
          socket.resume();
          socket.once("secureConnect", () => {
            open++;
            socket.once("close", () => open--);
            resolve();
          });
          socket.on("error", () => resolve());
          setTimeout(resolve, 15_000);
        }),
    ),
  );
  return {
    open: () => open,
    close: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

export interface HeldStreams {
  /** Streams the server ended at once with a gRPC status (trailers-only), by status, and other endings. */
  readonly refused: Map<string, number>;
  /** Streams the server answered without a status: accepted, and never read. */
  accepted(): number;
  close(): void;
}

/**
 * Opens `count` gRPC streams to `path` over `sessions` HTTP/2 connections (at most 100 streams on
 * each: apid's cap) and never reads their answers: what an idle or hostile follower leaves a server
 * holding. Resolves after `settleMs`, with how each stream has ended so far.
 */
export async function holdStreams(options: {
  url: string;
  tls: RawTls;
  path: string;
  body: Uint8Array;
  count: number;
  settleMs: number;
}): Promise<HeldStreams> {
  const perSession = 100;
  const sessions: http2.ClientHttp2Session[] = [];
  const refused = new Map<string, number>();
  let accepted = 0;
  const count = (why: string) => refused.set(why, (refused.get(why) ?? 0) + 1);
  for (let i = 0; i < options.count; i++) {
    if (i % perSession === 0) {
      const s = http2.connect(options.url, {
        ca: options.tls.ca,
        cert: options.tls.cert,
        key: options.tls.key,
        rejectUnauthorized: false,
        // Small windows: the server can send little before it must wait for this client to read.
        settings: { initialWindowSize: 16 * KiB },
      });
      s.on("error", () => {});
      sessions.push(s);
    }
    const session = sessions[sessions.length - 1] as http2.ClientHttp2Session;
    const stream = session.request({
      ":method": "POST",
      ":path": options.path,
      "content-type": "application/grpc",
      te: "trailers",
    });
    let answered = false;
    let counted: "accepted" | "refused" | undefined;
    const refuse = (why: string) => {
      if (counted === "refused") return;
      if (counted === "accepted") accepted--;
      counted = "refused";
      count(why);
    };
    stream.on("response", (h) => {
      answered = true;
      if (h["grpc-status"] !== undefined && String(h["grpc-status"]) !== "0")
        refuse(`grpc-status ${String(h["grpc-status"])}`);
      else if (counted === undefined) {
        counted = "accepted";
        accepted++;
      }
    });
    // A refusal relayed by apid comes as headers, then trailers; so does the end of a call that finished.
    stream.on("trailers", (t) => {
      const status = t["grpc-status"] === undefined ? undefined : String(t["grpc-status"]);
      if (status !== undefined && status !== "0") refuse(`grpc-status ${status}`);
      else if (status === "0") refuse("finished (grpc-status 0)");
    });
    stream.on("error", () => {
      if (!answered) refuse(`reset before an answer (rst ${stream.rstCode ?? "none"})`);
    });
    stream.pause();
    stream.end(options.body);
  }
  await Bun.sleep(options.settleMs);
  return {
    refused,
    accepted: () => accepted,
    close: () => {
      for (const s of sessions) s.destroy();
    },
  };
}
