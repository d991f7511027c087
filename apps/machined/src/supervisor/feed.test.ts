import { describe, expect, jest, test } from "bun:test";
import { eventually } from "@bronze/testing";
import { Feed } from "./feed.ts";

describe("Feed", () => {
  test("keeps the newest maxItems, oldest first", () => {
    const feed = new Feed<number>({ maxItems: 3 });
    for (let i = 1; i <= 5; i++) feed.push(i);
    expect(feed.tail()).toEqual([3, 4, 5]);
    expect(feed.tail(2)).toEqual([4, 5]);
    expect(feed.tail(0)).toEqual([]);
    expect(feed.length).toBe(3);
  });

  test("grows its storage past the initial size and wraps correctly", () => {
    const feed = new Feed<number>({ maxItems: 3000 });
    for (let i = 0; i < 5000; i++) feed.push(i);
    const tail = feed.tail();
    expect(tail.length).toBe(3000);
    expect(tail[0]).toBe(2000);
    expect(tail[2999]).toBe(4999);
  });

  test("evicts by bytes but always keeps the newest item", () => {
    const feed = new Feed<string>({ maxItems: 100, maxBytes: 10, sizeOf: (s) => s.length });
    feed.push("aaaa");
    feed.push("bbbb");
    expect(feed.tail()).toEqual(["aaaa", "bbbb"]);
    feed.push("cccc");
    expect(feed.tail()).toEqual(["bbbb", "cccc"]);
    expect(feed.bytes).toBe(8);
    feed.push("x".repeat(50));
    expect(feed.tail()).toEqual(["x".repeat(50)]);
    expect(feed.bytes).toBe(50);
  });

  test("subscribers see new items; a throwing subscriber does not break the producer", () => {
    const feed = new Feed<number>({ maxItems: 10 });
    const seen: number[] = [];
    feed.subscribe(() => {
      throw new Error("boom");
    });
    const off = feed.subscribe((n) => seen.push(n));
    feed.push(1);
    off();
    feed.push(2);
    expect(seen).toEqual([1]);
    expect(feed.tail()).toEqual([1, 2]);
  });

  test("follow yields the tail then live items, and ends on abort", async () => {
    const feed = new Feed<number>({ maxItems: 10 });
    feed.push(1);
    feed.push(2);
    const ac = new AbortController();
    const got: number[] = [];
    const reading = (async () => {
      for await (const n of feed.follow({ tail: 1, signal: ac.signal })) got.push(n);
    })();
    await eventually("the follower subscribed", () => feed.subscribers === 1, 5000, 1);
    feed.push(3);
    feed.push(4);
    await eventually("the live items read", () => got.length === 3, 5000, 1);
    ac.abort();
    await reading;
    expect(got).toEqual([2, 3, 4]);
    expect(feed.subscribers).toBe(0);
  });

  test("a slow follower's queue is bounded; it is told how much it lost", async () => {
    const feed = new Feed<string>({ maxItems: 100 });
    const ac = new AbortController();
    const it = feed.follow({ signal: ac.signal, maxQueue: 3, onDropped: (n) => `dropped ${n}` });
    const first = it.next(); // starts the generator; waits for items
    feed.push("a");
    expect((await first).value).toBe("a");
    for (const s of ["b", "c", "d", "e", "f"]) feed.push(s); // nobody reading: only 3 kept
    expect((await it.next()).value).toBe("dropped 2");
    expect((await it.next()).value).toBe("d");
    expect((await it.next()).value).toBe("e");
    expect((await it.next()).value).toBe("f");
    ac.abort();
    expect((await it.next()).done).toBe(true);
  });

  test("a slow follower's queue is bounded in bytes too: big items are dropped sooner", async () => {
    const feed = new Feed<string>({ maxItems: 100, sizeOf: (s) => s.length });
    const ac = new AbortController();
    const it = feed.follow({ signal: ac.signal, maxQueueBytes: 10, onDropped: (n) => `dropped ${n}` });
    const first = it.next();
    feed.push("a");
    expect((await first).value).toBe("a");
    for (const s of ["1234", "5678", "abcd", "efgh"]) feed.push(s); // 16 bytes queued: the oldest 2 go
    expect((await it.next()).value).toBe("dropped 2");
    expect((await it.next()).value).toBe("abcd");
    expect((await it.next()).value).toBe("efgh");
    feed.push("x".repeat(50)); // alone over the limit: the newest item is kept
    expect((await it.next()).value).toBe("x".repeat(50));
    ac.abort();
    expect((await it.next()).done).toBe(true);
  });

  test("followBatches: the tail at once, then what comes within the delay as one batch", async () => {
    const feed = new Feed<number>({ maxItems: 100 });
    for (const n of [1, 2, 3]) feed.push(n);
    const ac = new AbortController();
    const it = feed.followBatches({ tail: 2, signal: ac.signal, delayMs: 30 });
    expect((await it.next()).value).toEqual([2, 3]);
    // The gathering delay runs on fake timers: 5 comes 29 ms after 4, within the delay.
    jest.useFakeTimers();
    try {
      const next = it.next();
      feed.push(4);
      for (let i = 0; i < 100 && jest.getTimerCount() === 0; i++) await Promise.resolve();
      expect(jest.getTimerCount()).toBe(1); // the delay started with 4
      jest.advanceTimersByTime(29);
      feed.push(5);
      jest.advanceTimersByTime(1);
      expect((await next).value).toEqual([4, 5]);
      // After the delay, the next item starts a new batch.
      const later = it.next();
      feed.push(6);
      for (let i = 0; i < 100 && jest.getTimerCount() === 0; i++) await Promise.resolve();
      jest.advanceTimersByTime(30);
      expect((await later).value).toEqual([6]);
    } finally {
      jest.useRealTimers();
    }
    ac.abort();
    expect((await it.next()).done).toBe(true);
    expect(feed.subscribers).toBe(0);
  });

  test("followBatches: a full batch does not wait out the delay; dropped items are counted first", async () => {
    const feed = new Feed<string>({ maxItems: 100 });
    const ac = new AbortController();
    const it = feed.followBatches({
      signal: ac.signal,
      delayMs: 60_000,
      maxBatch: 3,
      maxQueue: 4,
      onDropped: (n) => `dropped ${n}`,
    });
    const first = it.next();
    for (const s of ["a", "b", "c"]) feed.push(s);
    expect((await first).value).toEqual(["a", "b", "c"]);
    for (const s of ["d", "e", "f", "g", "h", "i"]) feed.push(s); // nobody reading: 4 kept
    expect((await it.next()).value).toEqual(["dropped 2", "f", "g", "h", "i"]);
    ac.abort();
    expect((await it.next()).done).toBe(true);
  });

  test("rejects a non-positive capacity", () => {
    expect(() => new Feed({ maxItems: 0 })).toThrow(RangeError);
  });
});
