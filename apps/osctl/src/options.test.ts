import { expect, test } from "bun:test";
import { CliError } from "./cli-error.ts";
import { collect, parseHours, parseMode, parseOutputFormat } from "./options.ts";

test("enumerated flags accept their values and name the flag and choices otherwise", () => {
  expect(parseMode("metal")).toBe("metal");
  expect(parseOutputFormat("yaml")).toBe("yaml");
  try {
    parseMode("baremetal");
    throw new Error("expected a usage error");
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    expect((error as CliError).message).toBe(
      '--mode: unknown mode "baremetal" (expected one of: metal, qemu, container)',
    );
  }
});

test("hours must be a positive number", () => {
  expect(parseHours("1.5")).toBe(1.5);
  expect(() => parseHours("0")).toThrow("--hours");
  expect(() => parseHours("soon")).toThrow("--hours");
});

test("collect splits comma lists when asked and accumulates repeats", () => {
  expect(collect(true)("a, b", ["x"])).toEqual(["x", "a", "b"]);
  expect(collect(false)("a,b", [])).toEqual(["a,b"]);
});
