import { afterEach, describe, expect, jest, setSystemTime, test } from "bun:test";
import { makeSystemClock, systemClock } from "./clock.ts";

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

  test("a delay past setTimeout's limit (~24.8 days) does not fire early: it re-arms until the deadline", async () => {
    jest.useFakeTimers();
    const thirtyDays = 30 * 86_400_000;
    let result: boolean | undefined;
    void systemClock.sleep(thirtyDays).then((r) => {
      result = r;
    });
    // Unfixed, setTimeout overflowed to 1 ms and this resolved at once.
    jest.advanceTimersByTime(2 ** 31);
    await flush();
    expect(result).toBeUndefined();
    jest.advanceTimersByTime(thirtyDays - 2 ** 31 - 1);
    await flush();
    expect(result).toBeUndefined();
    jest.advanceTimersByTime(1);
    await flush();
    expect(result).toBe(true);
  });

  test("re-arming adds up to the delay: a 5 ms timer limit still sleeps 40 ms", async () => {
    jest.useFakeTimers();
    const clock = makeSystemClock(5);
    let result: boolean | undefined;
    void clock.sleep(40).then((r) => {
      result = r;
    });
    for (let t = 0; t < 39; t++) {
      jest.advanceTimersByTime(1);
      await flush();
    }
    expect(result).toBeUndefined();
    jest.advanceTimersByTime(1);
    await flush();
    expect(result).toBe(true);
  });

  test("with real timers too: a 30-day sleep is still pending after setTimeout's overflow would have fired it", async () => {
    const ac = new AbortController();
    const sleeping = systemClock.sleep(30 * 86_400_000, ac.signal);
    // Unfixed, setTimeout(30 days) overflowed to 1 ms: this race was won by `sleeping` (true).
    const first = await Promise.race([sleeping, systemClock.sleep(50).then(() => "still sleeping")]);
    expect(first).toBe("still sleeping");
    ac.abort();
    expect(await sleeping).toBe(false);
  });
});
