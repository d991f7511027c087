import { expect, test } from "bun:test";
import { capIssues, truncateUtf8 } from "./cap-issues.ts";
import { CONFIG_LIMITS } from "./config-limits.ts";
import type { ConfigIssue } from "./types.ts";

const bytes = (s: string) => Buffer.byteLength(s, "utf8");

const issue = (i: number, extra: Partial<ConfigIssue> = {}): ConfigIssue => ({
  path: `machine.files[${i}].path`,
  line: 10 + i,
  column: 3,
  message: "required field is missing",
  severity: "error",
  code: "required",
  document: 0,
  ...extra,
});

test("truncateUtf8 cuts at a character boundary and marks the cut", () => {
  expect(truncateUtf8("short", 10)).toBe("short");
  expect(truncateUtf8("x".repeat(20), 10)).toBe(`${"x".repeat(7)}…`);
  const wide = truncateUtf8("é".repeat(1000), 101);
  expect(bytes(wide)).toBeLessThanOrEqual(101);
  expect(wide).toBe(`${"é".repeat(49)}…`);
  // Never half of a surrogate pair (each emoji is 4 bytes, 2 UTF-16 units).
  const emoji = truncateUtf8("😀".repeat(100), 13);
  expect(emoji).toBe("😀😀…");
  expect(emoji.isWellFormed()).toBe(true);
});

test("at most 100 issues per severity, then one closing issue counting the rest", () => {
  const errors = Array.from({ length: 16_000 }, (_, i) => issue(i));
  const warnings = [issue(0, { severity: "warning", code: "world_writable" })];
  const capped = capIssues(errors, warnings);
  expect(capped.warnings).toEqual(warnings);
  expect(capped.errors).toHaveLength(101);
  expect(capped.errors.slice(0, 100)).toEqual(errors.slice(0, 100));
  expect(capped.errors[100]).toEqual({
    path: "",
    line: 110,
    column: 3,
    message:
      "… and 15900 more errors not shown (a report holds at most 100 issues and 8192 bytes of messages)",
    severity: "error",
    code: "too_many_issues",
    document: 0,
  });
});

test("long messages and paths are cut, and the whole report stays within its byte budget", () => {
  const huge = "k".repeat(100_000);
  const errors = Array.from({ length: 50 }, (_, i) =>
    issue(i, { path: `machine.${huge}`, message: `unknown field "${huge}"`, code: "unknown_field" }),
  );
  const capped = capIssues(errors, []).errors;
  for (const e of capped) {
    expect(bytes(e.message)).toBeLessThanOrEqual(CONFIG_LIMITS.maxMessageBytes);
    expect(bytes(e.path)).toBeLessThanOrEqual(CONFIG_LIMITS.maxPathBytes);
  }
  const shown = capped.slice(0, -1);
  expect(shown.length).toBe(6); // 6 x (1024 + 256) bytes fit in 8 KiB
  expect(shown.reduce((n, e) => n + bytes(e.message) + bytes(e.path), 0)).toBeLessThanOrEqual(
    CONFIG_LIMITS.maxReportedBytes,
  );
  expect(capped.at(-1)?.message).toStartWith("… and 44 more errors not shown");
});
