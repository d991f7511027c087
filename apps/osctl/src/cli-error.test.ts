import { expect, test } from "bun:test";
import { CliError, usageError } from "./cli-error.ts";

test("usage errors exit 2, every other failure exits 1", () => {
  expect(usageError("bad flag").exitCode).toBe(2);
  expect(new CliError("invalid-input", "x").exitCode).toBe(1);
  expect(new CliError("exists", "x").exitCode).toBe(1);
  expect(new CliError("failed", "x")).toBeInstanceOf(Error);
});
