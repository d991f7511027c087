import { expect, test } from "bun:test";
import { isCliError } from "../cli-error.ts";
import { parseApplyMode, parseCount, parseDuration, parseInteger, parseServiceAction } from "./node-flags.ts";

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isCliError(error) && error.exitCode === 2) return error.message;
    throw error;
  }
  throw new Error("expected a usage error");
}

test("durations: units, combinations and bare seconds", () => {
  const d = parseDuration("--timeout");
  expect(d("30s")).toBe(30_000);
  expect(d("5m")).toBe(300_000);
  expect(d("1h30m")).toBe(5_400_000);
  expect(d("250ms")).toBe(250);
  expect(d("1.5s")).toBe(1500);
  expect(d("45")).toBe(45_000);
});

test("bad durations name the flag and the value", () => {
  const d = parseDuration("--timeout");
  expect(usage(() => d("soon"))).toBe('--timeout: "soon" is not a duration (e.g. 30s, 5m, 1h30m)');
  expect(usage(() => d("5x"))).toContain('"5x" is not a duration');
  expect(usage(() => d("5m garbage"))).toContain("is not a duration");
  expect(usage(() => d("0s"))).toBe('--timeout: "0s" must be a positive duration');
});

test("counts and integers", () => {
  expect(parseCount("--tail")("20")).toBe(20);
  expect(usage(() => parseCount("--tail")("-1"))).toBe('--tail: "-1" is not a whole number');
  expect(parseInteger("--depth")("-1")).toBe(-1);
  expect(usage(() => parseInteger("--depth")("x"))).toBe('--depth: "x" is not an integer');
});

test("apply modes and service actions", () => {
  expect(parseApplyMode("no-reboot")).toBe("no-reboot");
  expect(usage(() => parseApplyMode("now"))).toBe(
    '--mode: unknown apply mode "now" (expected one of: auto, no-reboot, staged, try)',
  );
  expect(parseServiceAction("restart")).toBe("restart");
  expect(usage(() => parseServiceAction("kill"))).toContain('unknown service action "kill"');
});
