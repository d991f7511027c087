import { describe, expect, test } from "bun:test";
import { describeExit, isSuccess, SkipServiceError } from "./service.ts";

describe("exit status helpers", () => {
  test("describeExit", () => {
    expect(describeExit({ code: 0, signal: null })).toBe("Exited successfully");
    expect(describeExit({ code: 137, signal: null })).toBe("Exited with code 137");
    expect(describeExit({ code: null, signal: "SIGKILL" })).toBe("Killed by SIGKILL");
    expect(describeExit({ code: null, signal: null, error: "Failed to start: x" })).toBe(
      "Failed to start: x",
    );
  });

  test("isSuccess needs code 0, no signal, no error", () => {
    expect(isSuccess({ code: 0, signal: null })).toBe(true);
    expect(isSuccess({ code: 1, signal: null })).toBe(false);
    expect(isSuccess({ code: 0, signal: "SIGTERM" })).toBe(false);
    expect(isSuccess({ code: 0, signal: null, error: "abandoned" })).toBe(false);
  });

  test("SkipServiceError has a code", () => {
    const e = new SkipServiceError("worker node");
    expect(e.code).toBe("Skip");
    expect(e.message).toBe("worker node");
  });
});
