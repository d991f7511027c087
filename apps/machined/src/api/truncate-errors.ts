import { ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * Most bytes an error message may take once percent-encoded into the grpc-message trailer (characters
 * outside printable ASCII, and `%`, take 3 bytes per UTF-8 byte). Past ~16 KiB the trailer no longer
 * fits what the HTTP/2 peer accepts (FRAME_SIZE_ERROR) and the whole session goes down, with every
 * other call apid has in flight on it. 12 KiB holds a config validation report at its own cap (100
 * issues, 8 KiB of messages: @bronze/config-schema's CONFIG_LIMITS), which a person does want whole.
 */
export const MAX_ERROR_MESSAGE_BYTES = 12 * 1024;
export const TRUNCATED_MARK = "…(truncated)";

/** Bytes `text` takes in a grpc-message trailer (gRPC's percent-encoding). */
export function encodedLength(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0) as number;
    bytes += c >= 0x20 && c <= 0x7e && c !== 0x25 ? 1 : 3 * Buffer.byteLength(ch, "utf8");
  }
  return bytes;
}

/** `message` cut to at most `max` encoded bytes (marked), never in the middle of a character. */
export function truncateMessage(message: string, max = MAX_ERROR_MESSAGE_BYTES): string {
  if (message.length <= max / 9 || encodedLength(message) <= max) return message;
  const room = max - encodedLength(TRUNCATED_MARK);
  let used = 0;
  let end = 0;
  for (const ch of message) {
    const c = ch.codePointAt(0) as number;
    const cost = c >= 0x20 && c <= 0x7e && c !== 0x25 ? 1 : 3 * Buffer.byteLength(ch, "utf8");
    if (used + cost > room) break;
    used += cost;
    end += ch.length;
  }
  return message.slice(0, end) + TRUNCATED_MARK;
}

function truncated(error: unknown): unknown {
  if (!(error instanceof ConnectError)) return error;
  const message = truncateMessage(error.rawMessage);
  if (message === error.rawMessage) return error;
  // Details would travel in a trailer too (grpc-status-details-bin): machined sets none, none are kept.
  return new ConnectError(message, error.code, error.metadata, undefined, error);
}

async function* truncatingStream<T>(messages: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* messages;
  } catch (error) {
    throw truncated(error);
  }
}

/**
 * Cuts every error message a call ends with, unary or streaming, whoever threw it (a handler, the
 * role check): the outermost interceptor of machined's API. Anything not a ConnectError already
 * reaches the caller as connect's fixed "internal error".
 */
export const truncateErrors: Interceptor = (next) => async (req) => {
  try {
    const res = await next(req);
    return res.stream ? { ...res, message: truncatingStream(res.message) } : res;
  } catch (error) {
    throw truncated(error);
  }
};
