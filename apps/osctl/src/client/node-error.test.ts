import { expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { describeError, formatDuration, worthDiagnosing } from "./node-error.ts";

const errno = (code: string, message = code) => Object.assign(new Error(message), { code });
const wrapped = (cause: Error) =>
  new ConnectError(cause.message, Code.Unavailable, undefined, undefined, cause);

test("Connect errors: the code in words and the server's message", () => {
  const e = new ConnectError("os:reader may not call Reboot", Code.PermissionDenied);
  expect(describeError(e, "10.0.0.10")).toBe("permission denied: os:reader may not call Reboot");
  expect(describeError(new ConnectError("no service", Code.NotFound), "x")).toBe("not found: no service");
});

test("connection failures name the endpoint", () => {
  expect(describeError(wrapped(errno("ECONNREFUSED")), "10.0.0.10:50000")).toBe(
    "cannot connect to 10.0.0.10:50000: connection refused (is apid running there?)",
  );
  expect(describeError(wrapped(errno("ENOTFOUND")), "nope")).toBe("cannot resolve the endpoint nope");
  expect(describeError(wrapped(errno("EHOSTUNREACH")), "e")).toBe("cannot reach e: no route to host");
});

test("TLS failures: untrusted server, our certificate rejected, wrong name, expired", () => {
  expect(describeError(wrapped(errno("SELF_SIGNED_CERT_IN_CHAIN")), "e")).toBe(
    "TLS: the server certificate of e is not signed by the context's CA (SELF_SIGNED_CERT_IN_CHAIN)",
  );
  expect(describeError(wrapped(errno("UNABLE_TO_VERIFY_LEAF_SIGNATURE")), "e")).toContain(
    "is not signed by the context's CA",
  );
  expect(
    describeError(
      wrapped(errno("ERR_SSL_TLSV1_ALERT_CERTIFICATE_REQUIRED", "alert certificate required")),
      "e",
    ),
  ).toBe("TLS: e rejected the client certificate of this context (ERR_SSL_TLSV1_ALERT_CERTIFICATE_REQUIRED)");
  expect(
    describeError(
      wrapped(errno("ERR_TLS_CERT_ALTNAME_INVALID", "IP: 1.2.3.4 is not in the cert's list")),
      "e",
    ),
  ).toBe(
    "TLS: the server certificate of e does not name that address (IP: 1.2.3.4 is not in the cert's list)",
  );
  expect(describeError(wrapped(errno("CERT_HAS_EXPIRED")), "e")).toBe(
    "TLS: the server certificate of e has expired",
  );
});

test("a deadline names the timeout; unknown errors keep their message", () => {
  const e = new ConnectError("the operation timed out", Code.DeadlineExceeded);
  expect(describeError(e, "e", 30_000)).toBe("no answer from e within 30s (raise --timeout?)");
  expect(describeError(e, "e")).toBe("deadline exceeded: the operation timed out");
  expect(describeError(new Error("boom"), "e")).toBe("boom");
});

test("durations read like the flags", () => {
  expect(formatDuration(0)).toBe("0s");
  expect(formatDuration(30_000)).toBe("30s");
  expect(formatDuration(600_000)).toBe("10m");
  expect(formatDuration(7_200_000)).toBe("2h");
  expect(formatDuration(1500)).toBe("1500ms");
});

test("worth a diagnosis: failed before any answer, for a reason the error does not name", () => {
  expect(
    worthDiagnosing(new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled)),
  ).toBe(true);
  expect(worthDiagnosing(wrapped(errno("ECONNRESET")))).toBe(true);
  expect(worthDiagnosing(wrapped(errno("ERR_SSL_TLSV1_ALERT_CERTIFICATE_REQUIRED")))).toBe(true);
  expect(worthDiagnosing(new ConnectError("the operation timed out", Code.DeadlineExceeded))).toBe(true);
  // Already precise: refused, the server certificate untrusted or misnamed.
  expect(worthDiagnosing(wrapped(errno("ECONNREFUSED")))).toBe(false);
  expect(worthDiagnosing(wrapped(errno("UNABLE_TO_VERIFY_LEAF_SIGNATURE")))).toBe(false);
  expect(worthDiagnosing(wrapped(errno("ERR_TLS_CERT_ALTNAME_INVALID")))).toBe(false);
  const answered = new ConnectError("node 10.0.0.99 is unreachable", Code.Unavailable, {
    "content-type": "application/grpc",
  });
  expect(worthDiagnosing(answered)).toBe(false);
  expect(worthDiagnosing(new ConnectError("os:reader may not call Reboot", Code.PermissionDenied))).toBe(
    false,
  );
  expect(worthDiagnosing(new Error("local failure"))).toBe(false);
});
