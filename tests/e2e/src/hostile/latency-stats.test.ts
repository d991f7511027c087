import { expect, test } from "bun:test";
import { percentile, summarize } from "./latency-stats.ts";

test("nearest-rank percentiles", () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  expect(percentile(xs, 50)).toBe(50);
  expect(percentile(xs, 99)).toBe(99);
  expect(percentile(xs, 100)).toBe(100);
  expect(percentile([7], 99)).toBe(7);
  expect(percentile([], 50)).toBeNaN();
});

test("a summary counts the failed calls and takes their time too", () => {
  const s = summarize([
    { ms: 3, ok: true },
    { ms: 1, ok: true },
    { ms: 5000, ok: false },
    { ms: 2, ok: true },
  ]);
  expect(s).toEqual({ calls: 4, errors: 1, p50: 2, p99: 5000, max: 5000 });
});
