import { expect, test } from "bun:test";
import { tokenMatches } from "./token.ts";

test("only the exact token matches", () => {
  expect(tokenMatches("abcdef.0123456789abcdef", "abcdef.0123456789abcdef")).toBe(true);
  expect(tokenMatches("abcdef.0123456789abcdef", "abcdef.0123456789abcdeg")).toBe(false);
  expect(tokenMatches("abcdef.0123456789abcdef", "abcdef.0123456789abcde")).toBe(false);
  expect(tokenMatches("abcdef.0123456789abcdef", "")).toBe(false);
  // An empty configured token never matches, not even an empty one.
  expect(tokenMatches("", "")).toBe(false);
});
