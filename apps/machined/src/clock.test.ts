import { afterEach, describe, expect, jest, setSystemTime, test } from "bun:test";
import { systemClock } from "./clock.ts";

afterEach(() => {
  jest.useRealTimers();
  setSystemTime();
});

/** Lets promise callbacks run (fake timers do not move on their own). */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe("systemClock", () => {
  test("sleep resolves true when its delay is over, not before", async () => {
    jest.useFakeTimers();
    let result: boolean | undefined;
    void systemClock.sleep(30).then((r) => {
      result = r;
    });
    jest.advanceTimersByTime(29);
    await flush();
    expect(result).toBeUndefined();
    jest.advanceTimersByTime(1);
    await flush();
    expect(result).toBe(true);
  });

  test("sleep resolves false as soon as the signal aborts", async () => {
    // An hour's sleep outlasts the test's timeout: only the abort can end it.
    const ac = new AbortController();
    const p = systemClock.sleep(3_600_000, ac.signal);
    ac.abort();
    expect(await p).toBe(false);
  });

  test("an already aborted signal resolves false at once", async () => {
    expect(await systemClock.sleep(10_000, AbortSignal.abort())).toBe(false);
  });

  test("now is wall-clock time", () => {
    setSystemTime(new Date("2031-05-06T07:08:09.010Z"));
    expect(systemClock.now()).toBe(Date.UTC(2031, 4, 6, 7, 8, 9, 10));
  });
});
