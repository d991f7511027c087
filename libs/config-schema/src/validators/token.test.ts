import { expect, test } from "bun:test";
import { validateBootstrapToken, validateMachineToken } from "./token.ts";

const NOT_BOOTSTRAP =
  "is not a Kubernetes bootstrap token (expected 6 and 16 lowercase letters or digits joined by a dot, e.g. abcdef.0123456789abcdef)";

test("bootstrap tokens: [a-z0-9]{6}.[a-z0-9]{16}", () => {
  expect(validateBootstrapToken("abcdef.0123456789abcdef")).toBeUndefined();
  expect(validateBootstrapToken("ABCDEF.0123456789abcdef")).toBe(NOT_BOOTSTRAP);
  expect(validateBootstrapToken("abcde.0123456789abcdef")).toBe(NOT_BOOTSTRAP);
  expect(validateBootstrapToken("abcdef0123456789abcdef")).toBe(NOT_BOOTSTRAP);
  expect(validateBootstrapToken("abcdef.0123456789abcdefg")).toBe(NOT_BOOTSTRAP);
});

test("machine tokens: printable, no spaces, 6-256 characters", () => {
  expect(validateMachineToken("q3k7vz.8f2mxw0c1pl4hb9d")).toBeUndefined();
  expect(validateMachineToken("abc")).toBe("must be 6 to 256 characters long (got 3)");
  expect(validateMachineToken("abc def ghi")).toBe(
    "must contain only printable ASCII characters without spaces",
  );
  expect(validateMachineToken("x".repeat(257))).toBe("must be 6 to 256 characters long (got 257)");
});
