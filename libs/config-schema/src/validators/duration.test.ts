import { expect, test } from "bun:test";
import { parseDuration, validateDuration } from "./duration.ts";

test("parses Go durations", () => {
  expect(parseDuration("2m0s")).toBe(120_000);
  expect(parseDuration("1h30m")).toBe(5_400_000);
  expect(parseDuration("500ms")).toBe(500);
  expect(parseDuration("1.5s")).toBe(1500);
  expect(parseDuration("0")).toBe(0);
});

test("refuses bare numbers and unknown units", () => {
  expect(parseDuration("120")).toBeUndefined();
  expect(parseDuration("2 minutes")).toBeUndefined();
  expect(parseDuration("5d")).toBeUndefined();
  expect(validateDuration("")).toContain("not a valid duration");
  expect(validateDuration("30s")).toBeUndefined();
});
