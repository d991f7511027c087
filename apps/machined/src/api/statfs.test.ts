import { expect, test } from "bun:test";
import { df } from "../testing/df.ts";
import { hostStatfs } from "./statfs.ts";

test("statfs of / reports the size df reports, and what is available within it", () => {
  const root = hostStatfs("/");
  expect(root?.size).toBe(df("/").size);
  // Others write to / meanwhile: what is available moves, within the size.
  expect(root?.available ?? -1n).toBeGreaterThanOrEqual(0n);
  expect(root?.available ?? 0n).toBeLessThanOrEqual(root?.size ?? 0n);
});

test("a missing mount point has no usage", () => {
  expect(hostStatfs("/nonexistent/mount")).toBeUndefined();
});
