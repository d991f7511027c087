import { expect, test } from "bun:test";
import { ConfigError } from "./config-error.ts";
import type { ConfigIssue } from "./types.ts";

const issue = (n: number): ConfigIssue => ({
  path: `a[${n}]`,
  line: n,
  column: 1,
  message: "m",
  severity: "error",
  code: "c",
  document: 0,
});

test("carries code and issues, lists the first ten in its message", () => {
  const err = new ConfigError(
    "invalid",
    "bad config",
    Array.from({ length: 12 }, (_, i) => issue(i + 1)),
  );
  expect(err).toBeInstanceOf(Error);
  expect(err.name).toBe("ConfigError");
  expect(err.code).toBe("invalid");
  expect(err.issues).toHaveLength(12);
  expect(err.message.split("\n")).toHaveLength(12);
  expect(err.message).toContain("1:1: error: a[1]: m [c]");
  expect(err.message).toContain("... and 2 more");
});
