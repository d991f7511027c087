import { expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { ETCD_REASONS, EtcdError, etcdReason, isEtcdError, neverSent, toEtcdError } from "./errors.ts";

/** An error as etcd sends it: a gRPC status in the trailers. */
function fromEtcd(message: string, code: Code): ConnectError {
  const e = new ConnectError(message, code);
  e.isWireError = true;
  return e;
}

test("etcd's own errors keep etcd's message and code, and are recognised as a reason", () => {
  const cases: [string, Code, string, string][] = [
    ["etcdserver: unhealthy cluster", Code.Unavailable, "Unavailable", "UnhealthyCluster"],
    ["etcdserver: member not found", Code.NotFound, "NotFound", "MemberNotFound"],
    [
      "etcdserver: too many learner members in cluster",
      Code.FailedPrecondition,
      "FailedPrecondition",
      "TooManyLearners",
    ],
    [
      "etcdserver: can only promote a learner member which is in sync with leader",
      Code.FailedPrecondition,
      "FailedPrecondition",
      "LearnerNotReady",
    ],
    [
      "etcdserver: can only promote a learner member",
      Code.FailedPrecondition,
      "FailedPrecondition",
      "MemberNotLearner",
    ],
    [
      "etcdserver: re-configuration failed due to not enough started members",
      Code.FailedPrecondition,
      "FailedPrecondition",
      "NotEnoughStartedMembers",
    ],
    ["etcdserver: no leader", Code.Unavailable, "Unavailable", "NoLeader"],
    [
      "etcdserver: request timed out, possibly due to previous leader failure",
      Code.Unavailable,
      "Unavailable",
      "RequestTimedOut",
    ],
    ["etcdserver: mvcc: database space exceeded", Code.ResourceExhausted, "ResourceExhausted", "NoSpace"],
    ["etcdserver: rpc not supported for learner", Code.Unavailable, "Unavailable", "NotSupportedForLearner"],
  ];
  for (const [message, wire, code, reason] of cases) {
    const e = toEtcdError("memberPromote 1", fromEtcd(message, wire), "https://10.0.0.2:2379");
    expect(e).toBeInstanceOf(EtcdError);
    expect(e.code).toBe(code as EtcdError["code"]);
    expect(e.reason).toBe(reason as EtcdError["reason"]);
    expect(e.op).toBe("memberPromote 1");
    expect(e.detail).toBe(message);
    expect(e.message).toBe(`memberPromote 1: ${message}`);
    expect(isEtcdError(e, reason as EtcdError["code"])).toBe(true);
    expect(isEtcdError(e, code as EtcdError["code"])).toBe(true);
  }
  // every reason carries the code etcd sends it with
  for (const [message, reason, code] of ETCD_REASONS) expect(etcdReason(message)).toEqual({ reason, code });
});

test("a message that begins like a shorter one is matched by the longer (the table is ordered)", () => {
  expect(
    etcdReason("etcdserver: can only promote a learner member which is in sync with leader")?.reason,
  ).toBe("LearnerNotReady");
  expect(etcdReason("something else")).toBeUndefined();
  const prefixes = ETCD_REASONS.map(([prefix]) => prefix);
  prefixes.forEach((earlier, i) => {
    for (const later of prefixes.slice(i + 1)) expect(later.startsWith(earlier)).toBe(false);
  });
});

test("other gRPC codes are translated generally; Unavailable names the endpoint", () => {
  expect(toEtcdError("x", fromEtcd("etcdserver: key is not provided", Code.InvalidArgument)).code).toBe(
    "InvalidArgument",
  );
  expect(toEtcdError("x", fromEtcd("etcdserver: permission denied", Code.PermissionDenied)).code).toBe(
    "PermissionDenied",
  );
  expect(toEtcdError("x", fromEtcd("etcdserver: invalid auth token", Code.Unauthenticated)).code).toBe(
    "Unauthenticated",
  );
  expect(toEtcdError("x", fromEtcd("odd", Code.Aborted)).code).toBe("FailedPrecondition");
  const stopped = toEtcdError(
    "get",
    fromEtcd("etcdserver: server stopped", Code.Unavailable),
    "https://h:2379",
  );
  expect(stopped.code).toBe("Unavailable");
  expect(stopped.detail).toBe("etcd is unavailable at https://h:2379: etcdserver: server stopped");
});

test("a refused connection is Unavailable naming the endpoint, and was never sent", () => {
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:2379"), { code: "ECONNREFUSED" });
  const wrapped = new ConnectError(refused.message, Code.Unavailable, undefined, undefined, refused);
  const e = toEtcdError("status", wrapped, "https://127.0.0.1:2379");
  expect(e.code).toBe("Unavailable");
  expect(e.message).toBe(
    "status: etcd is unavailable at https://127.0.0.1:2379: connect ECONNREFUSED 127.0.0.1:2379",
  );
  expect(neverSent(wrapped)).toBe(true);
  expect(neverSent(new ConnectError("connection establishment timed out", Code.Unavailable))).toBe(true);
  const goaway = Object.assign(new Error("New streams cannot be created after receiving a GOAWAY"), {
    code: "ERR_HTTP2_GOAWAY_SESSION",
  });
  const closing = new ConnectError(goaway.message, Code.Internal, undefined, undefined, goaway);
  expect(toEtcdError("status", closing, "https://h:1").code).toBe("Unavailable");
  expect(neverSent(closing)).toBe(true);
  // a stream reset under a call may have reached etcd
  const reset = new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled);
  expect(toEtcdError("put", reset).code).toBe("Unavailable");
  expect(neverSent(reset)).toBe(false);
  expect(toEtcdError("x", Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })).code).toBe(
    "Unavailable",
  );
});

test("TLS failures say which side refused which certificate", () => {
  const alert = Object.assign(
    new Error("error:10000412:SSL routines:OPENSSL_internal:SSLV3_ALERT_BAD_CERTIFICATE"),
    {
      code: "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE",
    },
  );
  const e = toEtcdError(
    'put "a"',
    new ConnectError(alert.message, Code.Internal, undefined, undefined, alert),
    "https://h:1",
  );
  expect(e.code).toBe("Unauthenticated");
  expect(e.detail).toContain(
    "TLS with etcd at https://h:1 failed: the member refused the client's certificate",
  );
  const untrusted = Object.assign(new Error("self signed certificate in certificate chain"), {
    code: "SELF_SIGNED_CERT_IN_CHAIN",
  });
  const u = toEtcdError(
    "status",
    new ConnectError(untrusted.message, Code.Internal, undefined, undefined, untrusted),
  );
  expect(u.code).toBe("Unauthenticated");
  expect(u.detail).toContain("the client refused the member's certificate");
  // etcd's own messages are never taken for TLS failures
  expect(toEtcdError("x", fromEtcd("certificate of something", Code.InvalidArgument)).code).toBe(
    "InvalidArgument",
  );
});

test("deadlines, cancellation, other errors; EtcdErrors pass through", () => {
  const d = toEtcdError(
    "get",
    new ConnectError("the operation timed out", Code.DeadlineExceeded),
    "https://h:1",
  );
  expect(d.code).toBe("DeadlineExceeded");
  expect(d.message).toBe("get: deadline exceeded: etcd at https://h:1 did not answer in time");
  expect(toEtcdError("x", new ConnectError("operation was aborted", Code.Canceled)).code).toBe("Canceled");
  expect(toEtcdError("x", new DOMException("aborted", "AbortError")).code).toBe("Canceled");
  expect(toEtcdError("x", new Error("boom")).code).toBe("Internal");
  expect(toEtcdError("x", "a string").detail).toBe("a string");
  const own = new EtcdError("NotFound", "memberRemove 1", "etcdserver: member not found", {
    reason: "MemberNotFound",
  });
  expect(toEtcdError("other", own)).toBe(own);
  expect(isEtcdError(own, "MemberNotFound")).toBe(true);
  expect(isEtcdError(own, "NotFound")).toBe(true);
  expect(isEtcdError(own, "LearnerNotReady")).toBe(false);
  expect(new EtcdError("Internal", "x", "y").reason).toBeUndefined();
  expect(isEtcdError(new Error("x"))).toBe(false);
});
