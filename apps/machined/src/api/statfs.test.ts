import { expect, test } from "bun:test";
import { hostStatfs } from "./statfs.ts";

test("statfs of / reports a size and what is available", () => {
  const root = hostStatfs("/");
  expect(root).toBeDefined();
  expect(root?.size ?? 0n).toBeGreaterThan(0n);
  expect(root?.available ?? -1n).toBeGreaterThanOrEqual(0n);
  expect(root?.available ?? 0n).toBeLessThanOrEqual(root?.size ?? 0n);
});

test("a missing mount point has no usage", () => {
  expect(hostStatfs("/nonexistent/mount")).toBeUndefined();
});
