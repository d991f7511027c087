import { describe, expect, test } from "bun:test";
import { EventLog } from "./event-log.ts";

describe("EventLog", () => {
  test("numbers events, keeps the newest, tails per service", () => {
    const log = new EventLog(4);
    for (const [service, state] of [
      ["a", "Waiting"],
      ["b", "Waiting"],
      ["a", "Preparing"],
      ["a", "Running"],
      ["b", "Running"],
    ] as const) {
      log.append({ service, state, message: "", time: 0 });
    }
    expect(log.length).toBe(4);
    expect(log.tail().map((e) => e.seq)).toEqual([2, 3, 4, 5]);
    expect(log.tail(2, "a").map((e) => e.state)).toEqual(["Preparing", "Running"]);
    expect(log.tail(10, "b").map((e) => e.seq)).toEqual([2, 5]);
  });

  test("subscribe and follow see new events", async () => {
    const log = new EventLog();
    const seen: number[] = [];
    log.subscribe((e) => seen.push(e.seq));
    const ac = new AbortController();
    const it = log.follow({ signal: ac.signal });
    const next = it.next();
    log.append({ service: "a", state: "Running", message: "Started", time: 1 });
    expect((await next).value).toEqual({
      seq: 1,
      service: "a",
      state: "Running",
      message: "Started",
      time: 1,
    });
    expect(seen).toEqual([1]);
    ac.abort();
    expect((await it.next()).done).toBe(true);
  });
});
