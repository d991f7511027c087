import { expect, test } from "bun:test";
import { backoffDelay, sleep } from "./backoff.ts";

test("delays double up to the maximum; jitter only shortens them", () => {
  const none = { random: () => 0 };
  expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, none))).toEqual([100, 200, 400, 800, 5000]);
  expect(backoffDelay(0, { random: () => 1, jitter: 0.5 })).toBe(50);
  expect(backoffDelay(3, { initialMs: 10, maxMs: 50, random: () => 0 })).toBe(50);
});

test("sleep ends early when aborted", async () => {
  const ac = new AbortController();
  const t0 = performance.now();
  setTimeout(() => ac.abort(), 10);
  await sleep(5_000, ac.signal);
  expect(performance.now() - t0).toBeLessThan(1_000);
});
