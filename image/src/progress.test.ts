import { describe, expect, test } from "bun:test";
import { Progress } from "./progress.ts";

describe("Progress", () => {
  test("numbers the steps and prints each duration and details", async () => {
    const lines: string[] = [];
    let clock = 0;
    const progress = new Progress(
      2,
      (l) => lines.push(l),
      () => clock,
    );
    const value = await progress.step("resolve packages", async (note) => {
      clock += 1234;
      note("7 packages");
      return 42;
    });
    await progress.step("squashfs rootfs", () => {
      clock += 2100;
    });
    expect(value).toBe(42);
    expect(lines).toEqual(["[1/2] resolve packages ... 1.2s (7 packages)", "[2/2] squashfs rootfs ... 2.1s"]);
    expect(progress.timings.map((t) => t.seconds)).toEqual([1.234, 2.1]);
  });

  test("a failing step propagates its error and prints nothing", async () => {
    const lines: string[] = [];
    const progress = new Progress(1, (l) => lines.push(l));
    await expect(progress.step("x", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(lines).toEqual([]);
  });
});
