// The error boundary of the lib: every failure leaving it is an EtcdError with a typed code, the
// operation that failed and etcd's own message. gRPC status codes are translated into the code;
// etcd's own errors, which the wire carries only as a message, are recognised by it as a `reason`.
import { Code, ConnectError } from "@connectrpc/connect";

export type EtcdErrorCode =
  | "NotFound"
  | "AlreadyExists"
  | "FailedPrecondition"
  | "Unavailable"
  | "DeadlineExceeded"
  | "InvalidArgument"
  | "Canceled"
  | "Unimplemented"
  | "PermissionDenied"
  | "Unauthenticated"
  | "ResourceExhausted"
  | "OutOfRange"
  | "DataLoss"
  | "Internal"
  | "Unknown";

/** etcd's own errors, each recognised by the message etcd sends with it. */
export type EtcdErrorReason =
  | "MemberNotFound"
  | "MemberExists"
  | "PeerUrlExists"
  | "UnhealthyCluster"
  | "TooManyLearners"
  | "LearnerNotReady"
  | "MemberNotLearner"
  | "NotEnoughStartedMembers"
  | "NoLeader"
  | "NotLeader"
  | "LeaderChanged"
  | "BadLeaderTransferee"
  | "RequestTimedOut"
  | "NoSpace"
  | "Compacted"
  | "Corrupt"
  | "NotSupportedForLearner";

export class EtcdError extends Error {
  override readonly name = "EtcdError";
  /** The typed kind of failure (etcd's gRPC code, translated). */
  readonly code: EtcdErrorCode;
  /** Which of etcd's own errors it is, when it is one (`LearnerNotReady`: retry the promotion). */
  readonly reason: EtcdErrorReason | undefined;
  /** What the lib was doing, e.g. `memberPromote 8e9e05c52164694d`. */
  readonly op: string;
  /** etcd's own message (or the lib's, for failures detected locally). */
  readonly detail: string;

  constructor(
    code: EtcdErrorCode,
    op: string,
    detail: string,
    options?: { cause?: unknown; reason?: EtcdErrorReason },
  ) {
    super(`${op}: ${detail}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.reason = options?.reason;
    this.op = op;
    this.detail = detail;
  }
}

/** True for an EtcdError; with `kind`, for one of that code or that reason. */
export function isEtcdError(e: unknown, kind?: EtcdErrorCode | EtcdErrorReason): e is EtcdError {
  return e instanceof EtcdError && (kind === undefined || e.code === kind || e.reason === kind);
}

/**
 * etcd's error messages (etcdserver/api/v3rpc/rpctypes) by prefix, with the gRPC code etcd sends
 * them with; the longer first where one begins with another.
 */
export const ETCD_REASONS: readonly (readonly [string, EtcdErrorReason, EtcdErrorCode])[] = [
  ["etcdserver: member not found", "MemberNotFound", "NotFound"],
  ["etcdserver: member ID already exist", "MemberExists", "FailedPrecondition"],
  ["etcdserver: Peer URLs already exists", "PeerUrlExists", "FailedPrecondition"],
  ["etcdserver: unhealthy cluster", "UnhealthyCluster", "Unavailable"],
  ["etcdserver: too many learner members", "TooManyLearners", "FailedPrecondition"],
  [
    "etcdserver: can only promote a learner member which is in sync with leader",
    "LearnerNotReady",
    "FailedPrecondition",
  ],
  ["etcdserver: can only promote a learner member", "MemberNotLearner", "FailedPrecondition"],
  [
    "etcdserver: re-configuration failed due to not enough started members",
    "NotEnoughStartedMembers",
    "FailedPrecondition",
  ],
  ["etcdserver: no leader", "NoLeader", "Unavailable"],
  ["etcdserver: not leader", "NotLeader", "FailedPrecondition"],
  ["etcdserver: leader changed", "LeaderChanged", "Unavailable"],
  ["etcdserver: bad leader transferee", "BadLeaderTransferee", "FailedPrecondition"],
  ["etcdserver: request timed out", "RequestTimedOut", "Unavailable"],
  ["etcdserver: mvcc: database space exceeded", "NoSpace", "ResourceExhausted"],
  ["etcdserver: mvcc: required revision has been compacted", "Compacted", "OutOfRange"],
  ["etcdserver: corrupt cluster", "Corrupt", "DataLoss"],
  ["etcdserver: rpc not supported for learner", "NotSupportedForLearner", "Unavailable"],
];

/** Which of etcd's own errors `message` is, and its code; undefined for any other message. */
export function etcdReason(message: string): { reason: EtcdErrorReason; code: EtcdErrorCode } | undefined {
  for (const [prefix, reason, code] of ETCD_REASONS) if (message.startsWith(prefix)) return { reason, code };
  return undefined;
}

const GRPC_CODES: Partial<Record<Code, EtcdErrorCode>> = {
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
  [Code.Unauthenticated]: "Unauthenticated",
};

/**
 * Errors meaning the request never reached etcd: safe to send to another member. (A session etcd
 * said GOAWAY on, shutting down, takes no new streams.)
 */
const NOT_SENT = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "ERR_HTTP2_GOAWAY_SESSION",
]);
/** Socket errors meaning the member went away, perhaps under a call. */
const GONE = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT"]);

function errnoCodes(e: unknown): string[] {
  const codes: string[] = [];
  for (let c: unknown = e, depth = 0; c && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    const errno = (c as { code?: unknown }).code;
    if (typeof errno === "string") codes.push(errno);
  }
  return codes;
}

function messages(e: unknown): string {
  const parts: string[] = [];
  for (let c: unknown = e, depth = 0; c && depth < 5; c = (c as { cause?: unknown }).cause, depth++)
    if (c instanceof Error) parts.push(c.message);
  return parts.join(" ");
}

/**
 * True when `e` says the request never reached the member (nobody listening, no route, no TLS
 * session established in time): the call can be sent to another member without doing it twice.
 */
export function neverSent(e: unknown): boolean {
  if (errnoCodes(e).some((c) => NOT_SENT.has(c))) return true;
  return /connection establishment timed out/.test(messages(e));
}

/** A TLS handshake that failed: the member refused our certificate, or we refused the member's. */
export function tlsFailure(e: unknown): string | undefined {
  const codes = errnoCodes(e);
  const text = messages(e);
  if (/ALERT_BAD_CERTIFICATE|ALERT_CERTIFICATE_REQUIRED|ALERT_UNKNOWN_CA|ALERT_HANDSHAKE_FAILURE/.test(text))
    return "the member refused the client's certificate (none given, or not signed by a CA it trusts)";
  if (
    codes.some((c) =>
      /^(ERR_SSL_|ERR_TLS_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_|CERT_|HOSTNAME_MISMATCH)/.test(c),
    ) ||
    /certificate|self[- ]signed|unable to verify|SSL routines/i.test(text)
  )
    return "the client refused the member's certificate (not signed by the CA given, or not for this address)";
  return undefined;
}

/** What @connectrpc/connect says when a call's own deadline (timeoutMs) runs out. */
const CLIENT_TIMEOUT = "the operation timed out";

/** An HTTP/2 stream or session that died under a call: the member went away mid-call. */
function transportFailure(e: ConnectError): boolean {
  return /^http\/2 (stream closed|session|connection)|stream reset|socket hang up|ECONNRESET|EPIPE/i.test(
    e.rawMessage,
  );
}

/**
 * Translates anything thrown by a call into an EtcdError. `endpoint` is named in Unavailable and
 * TLS errors, so that which member is down, or refuses us, is obvious from the message.
 */
export function toEtcdError(op: string, e: unknown, endpoint?: string): EtcdError {
  if (e instanceof EtcdError) return e;
  const at = endpoint ? ` at ${endpoint}` : "";
  const raw = e instanceof ConnectError ? e.rawMessage : e instanceof Error ? e.message : String(e);
  if (e instanceof ConnectError && e.isWireError) {
    // etcd answered: its own error (keeping its message), or another gRPC status.
    const known = etcdReason(e.rawMessage);
    if (known !== undefined)
      return new EtcdError(known.code, op, e.rawMessage, { cause: e, reason: known.reason });
    const code = GRPC_CODES[e.code] ?? "Unknown";
    if (code === "Unavailable")
      return new EtcdError(code, op, `etcd is unavailable${at}: ${e.rawMessage}`, { cause: e });
    if (code === "DeadlineExceeded")
      return new EtcdError(code, op, `deadline exceeded: ${e.rawMessage}`, { cause: e });
    return new EtcdError(code, op, e.rawMessage, { cause: e });
  }
  // Failed on this side: no connection, a dead one, TLS, our own deadline, a signal.
  if (neverSent(e) || errnoCodes(e).some((c) => GONE.has(c)))
    return new EtcdError("Unavailable", op, `etcd is unavailable${at}: ${raw}`, { cause: e });
  const tls = tlsFailure(e);
  if (tls !== undefined)
    return new EtcdError("Unauthenticated", op, `TLS with etcd${at} failed: ${tls}: ${raw}`, { cause: e });
  if (e instanceof ConnectError) {
    if (e.code === Code.DeadlineExceeded && e.rawMessage === CLIENT_TIMEOUT)
      return new EtcdError("DeadlineExceeded", op, `deadline exceeded: etcd${at} did not answer in time`, {
        cause: e,
      });
    const code: EtcdErrorCode =
      e.code !== Code.DeadlineExceeded && transportFailure(e)
        ? "Unavailable"
        : (GRPC_CODES[e.code] ?? "Unknown");
    if (code === "Unavailable")
      return new EtcdError(code, op, `etcd is unavailable${at}: ${e.rawMessage}`, { cause: e });
    return new EtcdError(code, op, e.rawMessage, { cause: e });
  }
  if (e instanceof Error && (e.name === "AbortError" || e.name === "TimeoutError"))
    return new EtcdError("Canceled", op, e.message, { cause: e });
  return new EtcdError("Internal", op, raw, { cause: e });
}
