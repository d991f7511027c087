import { describe, expect, test } from "bun:test";
import { FakeClock, settle } from "../testing/fake-clock.ts";
import {
  checkOnce,
  HEALTH_START_PHASE_MS,
  type HealthResult,
  healthCheckProblem,
  monitorHealth,
} from "./health-check.ts";
import type { HealthCheckSpec } from "./service.ts";

function spec(check: HealthCheckSpec["check"], overrides: Partial<HealthCheckSpec> = {}): HealthCheckSpec {
  return { initialDelayMs: 100, periodMs: 1000, timeoutMs: 500, check, ...overrides };
}

describe("checkOnce", () => {
  test("healthy, unhealthy with the error's message", async () => {
    const clock = new FakeClock();
    const signal = new AbortController().signal;
    expect(
      await checkOnce(
        spec(async () => {}),
        clock,
        signal,
      ),
    ).toEqual({ healthy: true, message: "" });
    expect(
      await checkOnce(
        spec(async () => {
          throw new Error("socket not ready");
        }),
        clock,
        signal,
      ),
    ).toEqual({ healthy: false, message: "socket not ready" });
    expect(clock.pending).toBe(0); // the timeout timer is cancelled
  });

  test("a check slower than the timeout fails and is aborted", async () => {
    const clock = new FakeClock();
    let checkSignal: AbortSignal | undefined;
    const p = checkOnce(
      spec((s) => {
        checkSignal = s;
        return new Promise(() => {});
      }),
      clock,
      new AbortController().signal,
    );
    let result: HealthResult | undefined;
    void p.then((r) => {
      result = r;
    });
    await clock.advance(499);
    expect(result).toBeUndefined();
    await clock.advance(1);
    expect(result).toEqual({ healthy: false, message: "timed out after 500 ms" });
    expect(checkSignal?.aborted).toBe(true);
  });
});

describe("monitorHealth", () => {
  test("first check after the initial delay, then every period; changes are flagged", async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const answers = [true, true, false, false, true];
    const results: Array<[boolean, boolean, number]> = [];
    let calls = 0;
    void monitorHealth(
      spec(async () => {
        const ok = answers[calls++];
        if (!ok) throw new Error(`not ok ${calls}`);
      }),
      clock,
      ac.signal,
      (r, changed) => results.push([r.healthy, changed, clock.monotonic()]),
    );
    await clock.advance(99);
    expect(results).toEqual([]);
    await clock.advance(1);
    expect(results).toEqual([[true, true, 100]]);
    await clock.advance(4000);
    expect(results).toEqual([
      [true, true, 100],
      [true, false, 1100],
      [false, true, 2100],
      [false, false, 3100],
      [true, true, 4100],
    ]);
    ac.abort();
    await settle();
    expect(clock.pending).toBe(0);
  });

  test("while starting, checks come every startPeriodMs until the first healthy result", async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const times: Array<[boolean, number]> = [];
    let calls = 0;
    void monitorHealth(
      spec(
        async () => {
          // unhealthy for the first three checks, then healthy, then unhealthy once more
          calls++;
          if (calls <= 3 || calls === 5) throw new Error("starting");
        },
        { startPeriodMs: 50 },
      ),
      clock,
      ac.signal,
      (r) => times.push([r.healthy, clock.monotonic()]),
    );
    await clock.advance(100 + 3 * 50 + 2000);
    expect(times).toEqual([
      [false, 100],
      [false, 150],
      [false, 200],
      [true, 250],
      // healthy once: the ordinary period from then on, unhealthy again included
      [false, 1250],
      [true, 2250],
    ]);
    ac.abort();
    await settle();
  });

  test("a run that never gets healthy leaves the start period after HEALTH_START_PHASE_MS", async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const times: number[] = [];
    void monitorHealth(
      spec(
        async () => {
          throw new Error("never");
        },
        { initialDelayMs: 0, startPeriodMs: 1000, periodMs: 10_000 },
      ),
      clock,
      ac.signal,
      () => times.push(clock.monotonic()),
    );
    await clock.advance(HEALTH_START_PHASE_MS + 20_000);
    const fast = times.filter((t) => t <= HEALTH_START_PHASE_MS);
    expect(fast.length).toBe(HEALTH_START_PHASE_MS / 1000 + 1);
    expect(times.filter((t) => t > HEALTH_START_PHASE_MS)).toEqual([
      HEALTH_START_PHASE_MS + 10_000,
      HEALTH_START_PHASE_MS + 20_000,
    ]);
    ac.abort();
    await settle();
  });

  test("specs are validated", () => {
    expect(healthCheckProblem(spec(async () => {}, { startPeriodMs: 0 }))).toContain("startPeriodMs");
    expect(healthCheckProblem(spec(async () => {}))).toBeUndefined();
    expect(healthCheckProblem(spec(async () => {}, { periodMs: 0 }))).toContain("periodMs");
    expect(healthCheckProblem(spec(async () => {}, { timeoutMs: -1 }))).toContain("timeoutMs");
    expect(healthCheckProblem(spec(async () => {}, { initialDelayMs: Number.NaN }))).toContain(
      "initialDelayMs",
    );
  });
});
