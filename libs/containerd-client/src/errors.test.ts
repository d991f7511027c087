import { expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { ContainerdError, isContainerdError, refineUnknown, toContainerdError } from "./errors.ts";

test("gRPC codes become typed codes carrying containerd's message and the operation", () => {
  const e = toContainerdError(
    'containers.create "a"',
    new ConnectError('container "a": already exists', Code.AlreadyExists),
  );
  expect(e).toBeInstanceOf(ContainerdError);
  expect(e.code).toBe("AlreadyExists");
  expect(e.detail).toBe('container "a": already exists');
  expect(e.message).toBe('containers.create "a": container "a": already exists');
  expect(toContainerdError("x", new ConnectError("m", Code.NotFound)).code).toBe("NotFound");
  expect(toContainerdError("x", new ConnectError("m", Code.FailedPrecondition)).code).toBe(
    "FailedPrecondition",
  );
  expect(toContainerdError("x", new ConnectError("m", Code.InvalidArgument)).code).toBe("InvalidArgument");
});

test("Unavailable names the socket; deadline errors say so", () => {
  const e = toContainerdError(
    "version",
    new ConnectError("connect ENOENT /x.sock", Code.Unavailable),
    "/x.sock",
  );
  expect(e.code).toBe("Unavailable");
  expect(e.message).toContain("containerd is unavailable at /x.sock");
  const d = toContainerdError(
    "tasks.wait",
    new ConnectError("the operation timed out", Code.DeadlineExceeded),
    "/x.sock",
  );
  expect(d.code).toBe("DeadlineExceeded");
  // the call's own deadline: containerd is the one that did not answer
  expect(d.message).toBe("tasks.wait: deadline exceeded: containerd at /x.sock did not answer in time");
  // a deadline containerd reports (a shim that did not answer it) is containerd's message
  const shim = toContainerdError(
    "tasks.create",
    new ConnectError("context deadline exceeded", Code.DeadlineExceeded),
    "/x.sock",
  );
  expect(shim.message).toBe("tasks.create: deadline exceeded: context deadline exceeded");
});

test("socket errors from node become Unavailable, other errors Internal, ContainerdErrors pass through", () => {
  const enoent = Object.assign(new Error("connect ENOENT /s"), { code: "ENOENT" });
  expect(toContainerdError("version", enoent, "/s").code).toBe("Unavailable");
  expect(toContainerdError("x", new Error("boom")).code).toBe("Internal");
  expect(toContainerdError("x", "a string").detail).toBe("a string");
  const own = new ContainerdError("NotFound", "images.get", "nope");
  expect(toContainerdError("other", own)).toBe(own);
  expect(isContainerdError(own, "NotFound")).toBe(true);
  expect(isContainerdError(own, "AlreadyExists")).toBe(false);
  expect(isContainerdError(new Error("x"))).toBe(false);
});

test("socket errors wrapped by connect, and streams killed under a call, are Unavailable", () => {
  const enoent = Object.assign(new Error("connect ENOENT /s"), { code: "ENOENT" });
  const wrapped = new ConnectError("connect ENOENT /s", Code.Internal, undefined, undefined, enoent);
  expect(toContainerdError("version", wrapped, "/s").code).toBe("Unavailable");
  const cancel = new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled);
  expect(toContainerdError("version", cancel).code).toBe("Unavailable");
  expect(toContainerdError("version", new ConnectError("operation was aborted", Code.Canceled)).code).toBe(
    "Canceled",
  );
});

test("Unknown errors passed through from the runc shim are refined by their text", () => {
  expect(refineUnknown("failed to delete task: cannot delete a running process: unknown")).toBe(
    "FailedPrecondition",
  );
  expect(refineUnknown("cannot exec in a stopped state: unknown")).toBe("FailedPrecondition");
  expect(refineUnknown("cannot start a stopped process: unknown")).toBe("FailedPrecondition");
  expect(refineUnknown("rpc error: context deadline exceeded")).toBe("DeadlineExceeded");
  expect(refineUnknown("open /x: not found")).toBe("NotFound");
  expect(refineUnknown("something odd")).toBe("Unknown");
  const e = toContainerdError(
    "tasks.remove",
    new ConnectError("cannot delete a running process: unknown", Code.Unknown),
  );
  expect(e.code).toBe("FailedPrecondition");
  expect(e.detail).toBe("cannot delete a running process: unknown");
});
