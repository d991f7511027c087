import { expect, test } from "bun:test";
import { closest } from "./suggest.ts";

test("suggests near misses, case-insensitively", () => {
  expect(closest("hostnme", ["hostname", "interfaces"])).toBe("hostname");
  expect(closest("certSans", ["certSANs", "ca"])).toBe("certSANs");
});

test("stays quiet for distant words", () => {
  expect(closest("kubernetes", ["machine", "cluster"])).toBeUndefined();
  expect(closest("x", [])).toBeUndefined();
});

test("a transposition counts as one edit", () => {
  expect(closest("nmae", ["name", "size"])).toBe("name");
  expect(closest("tyep", ["type", "token"])).toBe("type");
});
