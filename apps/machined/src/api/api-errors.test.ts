import { expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { SupervisorError } from "../supervisor/supervisor-error.ts";
import { toConnectError, unimplemented } from "./api-errors.ts";
import { SequencerError } from "./sequencer.ts";

const errno = (code: string) => Object.assign(new Error(`${code}: something, open '/x'`), { code });

test("typed errors map to Connect codes, the message says what was being done", () => {
  const unknown = toConnectError(
    new SupervisorError("UnknownService", "unknown service x", "x"),
    "stopping x",
  );
  expect(unknown.code).toBe(Code.NotFound);
  expect(unknown.rawMessage).toBe("stopping x: unknown service x");
  expect(toConnectError(new SupervisorError("Aborted", "stopped waiting"), "w").code).toBe(
    Code.FailedPrecondition,
  );
  expect(toConnectError(new SequencerError("Locked", "busy"), "reboot").code).toBe(Code.FailedPrecondition);
  expect(toConnectError(new SequencerError("Unsupported", "no"), "reboot").code).toBe(Code.Unimplemented);
});

test("errno codes map to NotFound, PermissionDenied, InvalidArgument or Internal", () => {
  expect(toConnectError(errno("ENOENT"), "read").code).toBe(Code.NotFound);
  expect(toConnectError(errno("EACCES"), "read").code).toBe(Code.PermissionDenied);
  expect(toConnectError(errno("EPERM"), "read").code).toBe(Code.PermissionDenied);
  expect(toConnectError(errno("EISDIR"), "read").code).toBe(Code.InvalidArgument);
  expect(toConnectError(errno("EIO"), "read").code).toBe(Code.Internal);
  expect(toConnectError(new Error("boom"), "doing").rawMessage).toBe("doing: boom");
  expect(toConnectError("a string", "doing").code).toBe(Code.Internal);
});

test("ConnectErrors pass through; unimplemented names the method and why", () => {
  const original = new ConnectError("x", Code.Aborted);
  expect(toConnectError(original, "y")).toBe(original);
  const u = unimplemented("Stats", "not yet");
  expect(u.code).toBe(Code.Unimplemented);
  expect(u.rawMessage).toBe("Stats is not implemented yet: not yet");
});

test("an errno error names its syscall and path, the path shortened: it may be the caller's, PATH_MAX long", () => {
  const long = `/${"d".repeat(4000)}/file`;
  const error = Object.assign(new Error(`ENOENT: no such file or directory, open '${long}'`), {
    code: "ENOENT",
    syscall: "open",
    path: long,
  });
  const message = toConnectError(error, "Read").rawMessage;
  expect(message).toStartWith("Read: ENOENT: no such file or directory (open /ddd");
  expect(message).toEndWith("dd/file (4006 characters))");
  expect(message.length).toBeLessThan(300);
});
