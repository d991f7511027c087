import { expect, test } from "bun:test";
import { runningAsRoot } from "./privileges.ts";

test("root is uid 0", () => {
  expect(runningAsRoot()).toBe(process.getuid?.() === 0);
});
