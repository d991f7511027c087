import { describe, expect, test } from "bun:test";
import { systemClock } from "./clock.ts";

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
});
