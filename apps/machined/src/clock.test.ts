import { describe, expect, test } from "bun:test";
import { makeSystemClock, systemClock } from "./clock.ts";

describe("systemClock", () => {
  test("sleep resolves true after the delay", async () => {
    const start = systemClock.monotonic();
    expect(await systemClock.sleep(30)).toBe(true);
    expect(systemClock.monotonic() - start).toBeGreaterThanOrEqual(25);
  });

  test("sleep resolves false as soon as the signal aborts", async () => {
    const ac = new AbortController();
    const start = systemClock.monotonic();
    const p = systemClock.sleep(10_000, ac.signal);
    setTimeout(() => ac.abort(), 10);
    expect(await p).toBe(false);
    expect(systemClock.monotonic() - start).toBeLessThan(1000);
  });

  test("an already aborted signal resolves false at once", async () => {
    expect(await systemClock.sleep(10_000, AbortSignal.abort())).toBe(false);
  });

  test("now is wall-clock time", () => {
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(50);
  });

  test("a delay past setTimeout's limit (~24.8 days) does not fire early: it re-arms until the deadline", async () => {
    const ac = new AbortController();
    const thirtyDays = 30 * 86_400_000;
    const sleeping = systemClock.sleep(thirtyDays, ac.signal);
    // Unfixed, setTimeout overflowed to 1 ms and this resolved true at once.
    const first = await Promise.race([sleeping, systemClock.sleep(50).then(() => "still sleeping")]);
    expect(first).toBe("still sleeping");
    ac.abort();
    expect(await sleeping).toBe(false);
  });

  test("re-arming reaches the deadline: a 5 ms timer limit still sleeps 40 ms", async () => {
    const clock = makeSystemClock(5);
    const start = clock.monotonic();
    expect(await clock.sleep(40)).toBe(true);
    expect(clock.monotonic() - start).toBeGreaterThanOrEqual(39);
  });
});
