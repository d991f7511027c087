import { expect, test } from "bun:test";
import { decodeBase64, validateBase64 } from "./base64.ts";

test("decodes padded standard base64 only", () => {
  expect(decodeBase64("aGk=")?.toString()).toBe("hi");
  expect(decodeBase64("aGk")).toBeUndefined();
  expect(decodeBase64("a-_b")).toBeUndefined();
});

test("checks decoded sizes", () => {
  const k32 = Buffer.alloc(32, 1).toString("base64");
  expect(validateBase64(k32, { bytes: 32 })).toBeUndefined();
  expect(validateBase64(Buffer.alloc(16).toString("base64"), { bytes: 32 })).toContain(
    "exactly 32 bytes (got 16)",
  );
  expect(validateBase64(Buffer.alloc(16).toString("base64"), { minBytes: 32 })).toContain("at least 32");
  expect(validateBase64("")).toBe("must not be empty");
  expect(validateBase64("!!!!")).toContain("not valid base64");
});
