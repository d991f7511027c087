import { describe, expect, test } from "bun:test";
import { RestartPolicy, type RunOutcome } from "./restart-policy.ts";

const exit = (code: number, durationMs = 10, healthy = false): RunOutcome => ({
  exit: { code, signal: null },
  durationMs,
  healthy,
});
const killed: RunOutcome = { exit: { code: null, signal: "SIGKILL" }, durationMs: 10, healthy: false };
const startFailed: RunOutcome = {
  exit: { code: null, signal: null, error: "Failed to start: ENOENT" },
  durationMs: 0,
  healthy: false,
};

describe("RestartPolicy", () => {
  test("forever restarts after any exit, with backoff growing by the factor and capped", () => {
    const p = new RestartPolicy("forever", { initialMs: 100, maxMs: 1000, factor: 2 });
    const delays = [exit(1), exit(0), killed, exit(2), exit(3), exit(4), startFailed].map((o) => {
      const d = p.decide(o);
      if (d.action !== "restart") throw new Error(`expected restart, got ${d.action}`);
      return d.delayMs;
    });
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    expect(p.attempts).toBe(7);
  });

  test("once never restarts: exit 0 finishes, anything else fails", () => {
    const p = new RestartPolicy("once");
    expect(p.decide(exit(0))).toEqual({ action: "finish" });
    expect(p.decide(exit(1))).toEqual({ action: "fail" });
    expect(p.decide(killed)).toEqual({ action: "fail" });
    expect(p.decide(startFailed)).toEqual({ action: "fail" });
  });

  test("untilSuccess restarts failures and stops after an exit 0", () => {
    const p = new RestartPolicy("untilSuccess", { initialMs: 50, factor: 3, maxMs: 10_000 });
    expect(p.decide(exit(1))).toEqual({ action: "restart", delayMs: 50, attempt: 1 });
    expect(p.decide(killed)).toEqual({ action: "restart", delayMs: 150, attempt: 2 });
    expect(p.decide(exit(0))).toEqual({ action: "finish" });
  });

  test("a healthy run or a long one resets the backoff", () => {
    const p = new RestartPolicy("forever", { initialMs: 100, maxMs: 10_000, factor: 2, resetAfterMs: 5000 });
    p.decide(exit(1));
    p.decide(exit(1));
    expect(p.decide(exit(1))).toMatchObject({ delayMs: 400, attempt: 3 });
    expect(p.decide(exit(1, 10, true))).toMatchObject({ delayMs: 100, attempt: 1 }); // passed a health check
    expect(p.decide(exit(1))).toMatchObject({ delayMs: 200 });
    expect(p.decide(exit(1, 5000))).toMatchObject({ delayMs: 100 }); // ran long enough
    p.reset();
    expect(p.attempts).toBe(0);
  });

  test("factor 1 is a constant delay; invalid backoffs are refused", () => {
    const p = new RestartPolicy("forever", { initialMs: 250, factor: 1 });
    expect(
      [p.decide(exit(1)), p.decide(exit(1)), p.decide(exit(1))].map(
        (d) => (d as { delayMs: number }).delayMs,
      ),
    ).toEqual([250, 250, 250]);
    expect(() => new RestartPolicy("forever", { factor: 0.5 })).toThrow("factor");
    expect(() => new RestartPolicy("forever", { initialMs: 100, maxMs: 50 })).toThrow("maxMs");
    expect(() => new RestartPolicy("forever", { initialMs: -1 })).toThrow("initialMs");
  });
});
