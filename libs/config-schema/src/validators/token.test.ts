import { expect, test } from "bun:test";
import { validateBootstrapToken, validateMachineToken } from "./token.ts";

test("bootstrap tokens: [a-z0-9]{6}.[a-z0-9]{16}", () => {
  expect(validateBootstrapToken("abcdef.0123456789abcdef")).toBeUndefined();
  expect(validateBootstrapToken("ABCDEF.0123456789abcdef")).toBeDefined();
  expect(validateBootstrapToken("abcde.0123456789abcdef")).toBeDefined();
  expect(validateBootstrapToken("abcdef0123456789abcdef")).toBeDefined();
  expect(validateBootstrapToken("abcdef.0123456789abcdefg")).toBeDefined();
});

test("machine tokens: printable, no spaces, 6-256 characters", () => {
  expect(validateMachineToken("q3k7vz.8f2mxw0c1pl4hb9d")).toBeUndefined();
  expect(validateMachineToken("abc")).toContain("6 to 256");
  expect(validateMachineToken("abc def ghi")).toContain("printable");
  expect(validateMachineToken("x".repeat(257))).toContain("6 to 256");
});
