// How the decoder fuzz of the hostile-input bench judges what apid did with a hostile request: every
// answer must carry a status its protocol defines, never success for a method the caller may not call,
// with a bounded message, and come in time.
import { type WireAnswer, wireStatus } from "./wire-answer.ts";
import type { WireRequest } from "./wire-requests.ts";

/** What a hand-written request got: an answer, a stream reset, a dropped connection, or nothing in time. */
export type RawOutcome =
  | { readonly kind: "answer"; readonly answer: WireAnswer; readonly ms: number }
  | { readonly kind: "reset"; readonly code: number; readonly ms: number }
  | { readonly kind: "dropped"; readonly message: string; readonly ms: number }
  | { readonly kind: "timeout"; readonly answered: boolean; readonly ms: number };

/**
 * - answered: success, for a method the caller may call;
 * - refused: an error status with a bounded message;
 * - misreported: refused, but with a status that misleads: `internal` for a request that could not be
 *   decoded (connect-es's code for an unparsable message or a compressed flag without an encoding, as
 *   grpc-go's), where `invalid_argument` would say that the caller is at fault; or a 200 without
 *   grpc-status for gRPC sent over HTTP/1.1 (which gRPC does not define: HTTP/1.1 responses carry no
 *   trailers; apid refuses such a call with 505, which counts as refused);
 * - reset: the stream reset by the server; held: a streaming call a mutation turned into a follow;
 * - dropped: the connection lost (reported: a server should refuse a request, not its connection);
 * - unclean: no status, unknown/internal/data_loss otherwise, unavailable without forwarding, a long
 *   message, no answer in time; bypass: success for a method the caller may not call.
 */
export type DecoderVerdict =
  | "answered"
  | "refused"
  | "misreported"
  | "reset"
  | "held"
  | "dropped"
  | "unclean"
  | "bypass";

const MAX_MESSAGE_BYTES = 16 * 1024;
const BAD_CODES = new Set(["unknown", "internal", "data_loss"]);
/** Messages of connect-es (and the pass-through) for a request message it could not decode. */
const DECODE_FAILURE =
  /^(parse binary|parse json|received compressed envelope|protocol error|invalid envelope|premature EOF|unexpected EOF|cannot decode)/i;

export function judgeOutcome(
  req: WireRequest,
  o: RawOutcome,
): { verdict: DecoderVerdict; code: string; what: string } {
  if (o.kind === "reset") return { verdict: "reset", code: `rst ${o.code}`, what: `stream reset ${o.code}` };
  if (o.kind === "dropped") return { verdict: "dropped", code: "dropped", what: o.message };
  if (o.kind === "timeout")
    return req.streaming && o.answered
      ? { verdict: "held", code: "held", what: "a stream left open (a follow)" }
      : { verdict: "unclean", code: "timeout", what: `no answer within ${o.ms.toFixed(0)} ms` };
  const s = wireStatus(req.headers["content-type"] ?? "", o.answer);
  const code = s.code ?? "no status";
  const what = `HTTP ${o.answer.status}, ${code} via ${s.via}: "${s.message.slice(0, 200)}"`;
  const grpcOverHttp1 = req.http1 && /^application\/grpc(?!-web)/i.test(req.headers["content-type"] ?? "");
  // apid refuses gRPC over HTTP/1.1 with 505 (it cannot carry a status); 200 without one misleads
  if (grpcOverHttp1 && o.answer.status === 505)
    return { verdict: "refused", code: "http 505", what: `gRPC over HTTP/1.1: ${what}` };
  if (s.code === undefined)
    return grpcOverHttp1
      ? { verdict: "misreported", code, what: `gRPC over HTTP/1.1: ${what}` }
      : { verdict: "unclean", code, what };
  if (s.code === "ok") {
    return req.role === "reader" && req.privileged
      ? { verdict: "bypass", code, what: `a reader's ${req.path} succeeded` }
      : { verdict: "answered", code, what };
  }
  if (Buffer.byteLength(s.message) > MAX_MESSAGE_BYTES)
    return { verdict: "unclean", code, what: `a ${Buffer.byteLength(s.message)}-byte message` };
  if (s.code === "internal" && DECODE_FAILURE.test(s.message)) return { verdict: "misreported", code, what };
  if (BAD_CODES.has(s.code)) return { verdict: "unclean", code, what };
  if (s.code === "unavailable" && req.headers["x-bronze-node"] === undefined)
    return { verdict: "unclean", code, what: `unavailable without forwarding: ${what}` };
  return { verdict: "refused", code, what };
}
