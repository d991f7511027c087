// The error boundary of the lib: every failure leaving it is a ContainerdError with a typed code,
// the operation that failed and containerd's own message. gRPC status codes are translated here.
import { Code, ConnectError } from "@connectrpc/connect";

export type ContainerdErrorCode =
  | "NotFound"
  | "AlreadyExists"
  | "FailedPrecondition"
  | "Unavailable"
  | "DeadlineExceeded"
  | "InvalidArgument"
  | "Canceled"
  | "Unimplemented"
  | "PermissionDenied"
  | "ResourceExhausted"
  | "OutOfRange"
  | "DataLoss"
  | "Internal"
  | "Unknown";

export class ContainerdError extends Error {
  override readonly name = "ContainerdError";
  /** The typed kind of failure. */
  readonly code: ContainerdErrorCode;
  /** What the lib was doing, e.g. `containers.create "etcd"`. */
  readonly op: string;
  /** containerd's own message (or the lib's, for failures detected locally). */
  readonly detail: string;

  constructor(code: ContainerdErrorCode, op: string, detail: string, options?: { cause?: unknown }) {
    super(`${op}: ${detail}`, options);
    this.code = code;
    this.op = op;
    this.detail = detail;
  }
}

export function isContainerdError(e: unknown, code?: ContainerdErrorCode): e is ContainerdError {
  return e instanceof ContainerdError && (code === undefined || e.code === code);
}

const GRPC_CODES: Partial<Record<Code, ContainerdErrorCode>> = {
  [Code.Canceled]: "Canceled",
  [Code.Unknown]: "Unknown",
  [Code.InvalidArgument]: "InvalidArgument",
  [Code.DeadlineExceeded]: "DeadlineExceeded",
  [Code.NotFound]: "NotFound",
  [Code.AlreadyExists]: "AlreadyExists",
  [Code.PermissionDenied]: "PermissionDenied",
  [Code.ResourceExhausted]: "ResourceExhausted",
  [Code.FailedPrecondition]: "FailedPrecondition",
  [Code.Aborted]: "FailedPrecondition",
  [Code.OutOfRange]: "OutOfRange",
  [Code.Unimplemented]: "Unimplemented",
  [Code.Internal]: "Internal",
  [Code.Unavailable]: "Unavailable",
  [Code.DataLoss]: "DataLoss",
  [Code.Unauthenticated]: "PermissionDenied",
};

const UNREACHABLE = new Set(["ENOENT", "ECONNREFUSED", "ECONNRESET", "EPIPE", "ENOTSOCK", "EACCES"]);

/** True when `e` or one of its causes is a socket error meaning "nobody is listening". */
function unreachable(e: unknown): boolean {
  for (let c: unknown = e, depth = 0; c && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    const errno = (c as { code?: unknown }).code;
    if (typeof errno === "string" && UNREACHABLE.has(errno)) return true;
  }
  return false;
}

/**
 * containerd passes some errors of the runc shim through as Unknown; their text says what they are.
 * Refine those into the code a caller can act on.
 */
export function refineUnknown(message: string): ContainerdErrorCode {
  if (/context deadline exceeded/i.test(message)) return "DeadlineExceeded";
  if (/context canceled/i.test(message)) return "Canceled";
  if (
    /cannot [a-z ]+ (in )?an? (running|stopped|created|deleted|paused|pausing) (state|process|task)/i.test(
      message,
    )
  )
    return "FailedPrecondition";
  const suffix: Record<string, ContainerdErrorCode> = {
    "not found": "NotFound",
    "already exists": "AlreadyExists",
    "failed precondition": "FailedPrecondition",
    "invalid argument": "InvalidArgument",
    unavailable: "Unavailable",
  };
  for (const [text, code] of Object.entries(suffix)) if (message.endsWith(`: ${text}`)) return code;
  return "Unknown";
}

/** What @connectrpc/connect says when a call's own deadline (timeoutMs) runs out. */
const CLIENT_TIMEOUT = "the operation timed out";

/** An HTTP/2 stream or session that died under a call: the daemon went away mid-call. */
function transportFailure(e: ConnectError): boolean {
  return /^http\/2 (stream closed|session|connection)|stream reset|socket hang up|ECONNRESET|EPIPE/i.test(
    e.rawMessage,
  );
}

/**
 * Translates anything thrown by a call into a ContainerdError. `socketPath` is named in
 * Unavailable errors so that "containerd is not running" is obvious from the message.
 */
export function toContainerdError(op: string, e: unknown, socketPath?: string): ContainerdError {
  if (e instanceof ContainerdError) return e;
  const where = socketPath ? ` at ${socketPath}` : "";
  if (e instanceof ConnectError) {
    let code: ContainerdErrorCode =
      unreachable(e) || (e.code !== Code.DeadlineExceeded && transportFailure(e))
        ? "Unavailable"
        : (GRPC_CODES[e.code] ?? "Unknown");
    if (code === "Unknown") code = refineUnknown(e.rawMessage);
    if (code === "Unavailable")
      return new ContainerdError(code, op, `containerd is unavailable${where}: ${e.rawMessage}`, {
        cause: e,
      });
    if (code === "DeadlineExceeded" && e.rawMessage === CLIENT_TIMEOUT)
      // The call's own deadline ran out: containerd did not answer (frozen, overloaded), as opposed
      // to containerd reporting a deadline of its own (a shim that did not answer it).
      return new ContainerdError(code, op, `deadline exceeded: containerd${where} did not answer in time`, {
        cause: e,
      });
    if (code === "DeadlineExceeded")
      return new ContainerdError(code, op, `deadline exceeded: ${e.rawMessage}`, { cause: e });
    return new ContainerdError(code, op, e.rawMessage, { cause: e });
  }
  if (unreachable(e))
    return new ContainerdError(
      "Unavailable",
      op,
      `containerd is unavailable${where}: ${(e as Error).message}`,
      { cause: e },
    );
  if (e instanceof Error && e.name === "AbortError")
    return new ContainerdError("Canceled", op, e.message, { cause: e });
  return new ContainerdError("Internal", op, e instanceof Error ? e.message : String(e), { cause: e });
}
