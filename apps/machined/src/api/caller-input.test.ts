import { expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  MAX_PATH_BYTES,
  QUOTED_INPUT_CHARS,
  quoteInput,
  requireNamespace,
  requirePath,
  requireServiceId,
  SHOWN_PATH_CHARS,
  showPath,
} from "./caller-input.ts";

function refusal(check: () => unknown): ConnectError {
  try {
    check();
  } catch (e) {
    if (e instanceof ConnectError) return e;
    throw e;
  }
  throw new Error("accepted");
}

test("quoteInput quotes short input whole, long input cut with its length, control characters escaped", () => {
  expect(quoteInput("apid")).toBe('"apid"');
  expect(quoteInput("a\nb")).toBe('"a\\nb"');
  const long = quoteInput("x".repeat(70_000));
  expect(long).toBe(`"${"x".repeat(QUOTED_INPUT_CHARS)}"… (70000 characters)`);
  // never half a surrogate pair
  expect(quoteInput(`${"x".repeat(QUOTED_INPUT_CHARS - 1)}😀`, QUOTED_INPUT_CHARS)).toBe(
    `"${"x".repeat(QUOTED_INPUT_CHARS - 1)}"… (${QUOTED_INPUT_CHARS + 1} characters)`,
  );
});

test("service ids: the supervisor's pattern, 128 characters at most, checked before any lookup", () => {
  expect(requireServiceId("kubelet", "Logs")).toBe("kubelet");
  expect(refusal(() => requireServiceId("", "Logs")).rawMessage).toBe("Logs: the service id is required");
  for (const bad of ["Apid", "../etc", "a b", "x".repeat(129)]) {
    const err = refusal(() => requireServiceId(bad, "Logs"));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toStartWith("Logs: invalid service id ");
  }
});

test("namespaces: containerd's identifier rule", () => {
  expect(requireNamespace("k8s.io", "Containers")).toBe("k8s.io");
  for (const bad of ["", "a..b", "-a", "a/b", "n".repeat(77)]) {
    expect(refusal(() => requireNamespace(bad, "Stats")).rawMessage).toStartWith("Stats: invalid namespace ");
  }
});

test("paths: at most PATH_MAX bytes, no NUL byte; shown shortened", () => {
  expect(requirePath("/etc/hosts", "Read")).toBe("/etc/hosts");
  expect(refusal(() => requirePath(`/${"é".repeat(MAX_PATH_BYTES / 2)}`, "Read")).rawMessage).toContain(
    `longer than ${MAX_PATH_BYTES} bytes`,
  );
  expect(refusal(() => requirePath("/etc/\0x", "Read")).rawMessage).toContain("NUL byte");
  expect(showPath("/etc/hosts")).toBe("/etc/hosts");
  const long = `/${"d/".repeat(1000)}file`;
  const shown = showPath(long);
  expect(shown).toEndWith(`/d/d/file (${long.length} characters)`);
  expect(shown.length).toBeLessThan(SHOWN_PATH_CHARS + 40);
});
