import { describe, expect, test } from "bun:test";
import { canTransition, isTerminal, SERVICE_STATES } from "./service-state.ts";

describe("service states", () => {
  test("the eight states of the design", () => {
    expect([...SERVICE_STATES]).toEqual([
      "Initialized",
      "Waiting",
      "Preparing",
      "Running",
      "Stopping",
      "Finished",
      "Failed",
      "Skipped",
    ]);
  });

  test("terminal states are the ones a service can be started from", () => {
    expect(SERVICE_STATES.filter(isTerminal)).toEqual(["Initialized", "Finished", "Failed", "Skipped"]);
  });

  test("normal life, restart and stop paths are allowed", () => {
    const path = [
      "Initialized",
      "Waiting",
      "Preparing",
      "Running",
      "Waiting",
      "Running",
      "Stopping",
      "Finished",
    ];
    for (let i = 1; i < path.length; i++) {
      expect(canTransition(path[i - 1] as never, path[i] as never)).toBe(true);
    }
    expect(canTransition("Failed", "Waiting")).toBe(true);
    expect(canTransition("Initialized", "Running")).toBe(true); // no dependency, condition or pre
  });

  test("impossible jumps are refused", () => {
    expect(canTransition("Stopping", "Running")).toBe(false);
    expect(canTransition("Finished", "Stopping")).toBe(false);
    expect(canTransition("Waiting", "Stopping")).toBe(false);
    expect(canTransition("Preparing", "Waiting")).toBe(false);
    expect(canTransition("Skipped", "Stopping")).toBe(false);
  });
});
