import { expect, test } from "bun:test";
import { seededRandom } from "./seeded-random.ts";

test("the same seed gives the same sequence; another seed another one", () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const c = seededRandom(43);
  const xs = Array.from({ length: 20 }, () => a.next());
  expect(Array.from({ length: 20 }, () => b.next())).toEqual(xs);
  expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(xs);
});

test("int, between, pick and bytes stay in their ranges", () => {
  const r = seededRandom(7);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const n = r.int(5);
    seen.add(n);
    expect(n).toBeGreaterThanOrEqual(0);
    expect(n).toBeLessThan(5);
    const m = r.between(-3, 3);
    expect(m).toBeGreaterThanOrEqual(-3);
    expect(m).toBeLessThanOrEqual(3);
  }
  expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
  expect(["a", "b"]).toContain(r.pick(["a", "b"]));
  expect(() => r.pick([])).toThrow(RangeError);
  expect(r.bytes(16).length).toBe(16);
});
