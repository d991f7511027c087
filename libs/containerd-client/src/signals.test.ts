import { expect, test } from "bun:test";
import { signalNumber, signalOfExitStatus } from "./signals.ts";

test("signal names and numbers", () => {
  expect(signalNumber("SIGTERM")).toBe(15);
  expect(signalNumber("kill")).toBe(9);
  expect(signalNumber(2)).toBe(2);
  expect(() => signalNumber("SIGNOPE")).toThrow('unknown signal "SIGNOPE"');
  expect(() => signalNumber(0)).toThrow("out of range");
});

test("exit statuses above 128 name the signal", () => {
  expect(signalOfExitStatus(137)).toBe("SIGKILL");
  expect(signalOfExitStatus(143)).toBe("SIGTERM");
  expect(signalOfExitStatus(0)).toBeUndefined();
  expect(signalOfExitStatus(1)).toBeUndefined();
});
