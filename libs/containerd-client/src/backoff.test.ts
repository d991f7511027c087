import { expect, test } from "bun:test";
import { backoffDelay, sleep } from "./backoff.ts";

test("delays double up to the maximum; jitter only shortens them", () => {
  const none = { random: () => 0 };
  expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, none))).toEqual([100, 200, 400, 800, 5000]);
  expect(backoffDelay(0, { random: () => 1, jitter: 0.5 })).toBe(50);
  expect(backoffDelay(3, { initialMs: 10, maxMs: 50, random: () => 0 })).toBe(50);
});

test("sleep ends early when aborted", async () => {
  // An hour's sleep outlasts the test's timeout: only the abort can end it.
  const ac = new AbortController();
  const slept = sleep(3_600_000, ac.signal).then(() => "ended");
  ac.abort();
  expect(await slept).toBe("ended");
  expect(await sleep(3_600_000, ac.signal).then(() => "ended at once")).toBe("ended at once");
});
