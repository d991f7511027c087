import { describe, expect, test } from "bun:test";
import { FakeClock } from "./fake-clock.ts";

describe("FakeClock", () => {
  test("sleeps resolve only when time is advanced past them, in order", async () => {
    const clock = new FakeClock(1000);
    const fired: string[] = [];
    void clock.sleep(200).then(() => fired.push("b"));
    void clock.sleep(100).then(() => fired.push("a"));
    void clock.sleep(300).then(() => fired.push("c"));
    await clock.advance(99);
    expect(fired).toEqual([]);
    await clock.advance(101);
    expect(fired).toEqual(["a", "b"]);
    expect(clock.monotonic()).toBe(200);
    expect(clock.now()).toBe(1200);
    expect(clock.pending).toBe(1);
  });

  test("sleeps scheduled by woken code fire within the same advance", async () => {
    const clock = new FakeClock();
    const times: number[] = [];
    void (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(10);
        times.push(clock.monotonic());
      }
    })();
    await clock.advance(25);
    expect(times).toEqual([10, 20]);
    await clock.advance(5);
    expect(times).toEqual([10, 20, 30]);
  });

  test("abort resolves false and removes the sleep", async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const p = clock.sleep(1000, ac.signal);
    expect(clock.pending).toBe(1);
    ac.abort();
    expect(await p).toBe(false);
    expect(clock.pending).toBe(0);
    expect(await clock.sleep(5, ac.signal)).toBe(false);
  });

  test("advanceToNext jumps to the earliest deadline", async () => {
    const clock = new FakeClock();
    let done = false;
    void clock.sleep(5000).then((v) => {
      done = v;
    });
    expect(await clock.advanceToNext()).toBe(true);
    expect(done).toBe(true);
    expect(clock.monotonic()).toBe(5000);
    expect(await clock.advanceToNext()).toBe(false);
  });
});
