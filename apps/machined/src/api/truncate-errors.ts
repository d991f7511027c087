import { ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * Most characters of an error message machined sends. gRPC carries the message in the grpc-message
 * trailer, percent-encoded (up to 9 bytes a character): past ~16 KiB the trailer no longer fits what
 * the HTTP/2 peer accepts (FRAME_SIZE_ERROR) and the whole session goes down, with every other call
 * apid has in flight on it. 1 KiB is room for any message a person reads.
 */
export const MAX_ERROR_MESSAGE_CHARS = 1024;
export const TRUNCATED_MARK = "…(truncated)";

/** `message` cut to MAX_ERROR_MESSAGE_CHARS (marked), never in the middle of a surrogate pair. */
export function truncateMessage(message: string, max = MAX_ERROR_MESSAGE_CHARS): string {
  if (message.length <= max) return message;
  let cut = message.slice(0, max - TRUNCATED_MARK.length);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut + TRUNCATED_MARK;
}

function truncated(error: unknown): unknown {
  if (!(error instanceof ConnectError) || error.rawMessage.length <= MAX_ERROR_MESSAGE_CHARS) return error;
  // Details would travel in a trailer too (grpc-status-details-bin): machined sets none, none are kept.
  return new ConnectError(truncateMessage(error.rawMessage), error.code, error.metadata, undefined, error);
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
