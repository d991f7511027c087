// Translates what the API client throws into one line a person can act on: the Connect code in
// words, and for transport failures what went wrong with the endpoint (refused, unreachable,
// certificate not signed by the context's CA, our client certificate rejected, timeout).
import { Code, ConnectError } from "@connectrpc/connect";

const CODE_WORDS: Record<number, string> = {
  [Code.Canceled]: "canceled",
  [Code.Unknown]: "unknown error",
  [Code.InvalidArgument]: "invalid argument",
  [Code.DeadlineExceeded]: "deadline exceeded",
  [Code.NotFound]: "not found",
  [Code.AlreadyExists]: "already exists",
  [Code.PermissionDenied]: "permission denied",
  [Code.ResourceExhausted]: "resource exhausted",
  [Code.FailedPrecondition]: "failed precondition",
  [Code.Aborted]: "aborted",
  [Code.OutOfRange]: "out of range",
  [Code.Unimplemented]: "unimplemented",
  [Code.Internal]: "internal error",
  [Code.Unavailable]: "unavailable",
  [Code.DataLoss]: "data loss",
  [Code.Unauthenticated]: "unauthenticated",
};

export function codeWords(code: Code): string {
  return CODE_WORDS[code] ?? `code ${code}`;
}

/** Certificate verification failures: the server's certificate is not one our CA vouches for. */
export const UNTRUSTED = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
]);

/** The first string `code` (errno, TLS) along the cause chain, with that error's message. */
function systemErrorOf(error: unknown): { code?: string; message: string } {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return { code, message: messageOf(e) };
  }
  return { message: messageOf(error) };
}

function messageOf(error: unknown): string {
  if (error instanceof ConnectError) return error.rawMessage;
  return error instanceof Error ? error.message : String(error);
}

/** A transport failure explained with the endpoint, or undefined when `error` is not one. */
export function describeTransportError(
  error: unknown,
  endpoint: string,
  timeoutMs?: number,
): string | undefined {
  const { code, message } = systemErrorOf(error);
  if (code === "ECONNREFUSED")
    return `cannot connect to ${endpoint}: connection refused (is apid running there?)`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `cannot resolve the endpoint ${endpoint}`;
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return `cannot reach ${endpoint}: no route to host`;
  if (code === "ETIMEDOUT") return `cannot connect to ${endpoint}: connection timed out`;
  if (code === "ECONNRESET" || code === "EPIPE") return `connection to ${endpoint} was reset`;
  if (code && UNTRUSTED.has(code))
    return `TLS: the server certificate of ${endpoint} is not signed by the context's CA (${code})`;
  if (code === "CERT_HAS_EXPIRED") return `TLS: the server certificate of ${endpoint} has expired`;
  if (code === "CERT_NOT_YET_VALID") return `TLS: the server certificate of ${endpoint} is not valid yet`;
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID")
    return `TLS: the server certificate of ${endpoint} does not name that address (${message})`;
  if (
    /CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|CERTIFICATE_EXPIRED|DECRYPT_ERROR/i.test(
      `${code} ${message}`,
    )
  )
    return `TLS: ${endpoint} rejected the client certificate of this context (${code ?? message})`;
  if (error instanceof ConnectError && error.code === Code.DeadlineExceeded && timeoutMs !== undefined)
    return `no answer from ${endpoint} within ${formatDuration(timeoutMs)} (raise --timeout?)`;
  return undefined;
}

/** Codes a call fails with when the transport failed, rather than the server answering with an error. */
const TRANSPORT_CODES = new Set([
  Code.Canceled,
  Code.Unknown,
  Code.Internal,
  Code.Unavailable,
  Code.Aborted,
  Code.DeadlineExceeded,
]);

/** Causes a failed call already names precisely: a second connection would not say more. */
const DEFINITE_CAUSES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  ...UNTRUSTED,
]);

/**
 * Whether a failed call deserves a diagnostic handshake: it failed before any answer arrived (a
 * transport code, no response headers or trailers) and its own error does not say why precisely
 * (a client certificate refused as "http/2 stream closed", a reset, an alert, a deadline).
 */
export function worthDiagnosing(error: unknown): boolean {
  if (!(error instanceof ConnectError)) return false;
  if (!TRANSPORT_CODES.has(error.code)) return false;
  if ([...error.metadata.keys()].length > 0) return false;
  const { code } = systemErrorOf(error);
  return code === undefined || !DEFINITE_CAUSES.has(code);
}

/** One line for a failed call: `permission denied: os:reader may not call Reboot`. */
export function describeError(error: unknown, endpoint: string, timeoutMs?: number): string {
  const transport = describeTransportError(error, endpoint, timeoutMs);
  if (transport) return transport;
  if (error instanceof ConnectError) return `${codeWords(error.code)}: ${error.rawMessage}`;
  return messageOf(error);
}

export function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
