import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../testing/fake-clock.ts";
import { LogBuffer, type LogLine } from "./log-buffer.ts";

describe("LogBuffer", () => {
  test("tail N with sequence numbers, times and streams", async () => {
    const clock = new FakeClock(1_000_000);
    const buf = new LogBuffer({ clock });
    buf.append("stdout", "one");
    await clock.advance(5);
    buf.append("stderr", "two");
    buf.append("system", "three");
    expect(buf.tail(2)).toEqual([
      { seq: 2, time: 1_000_005, stream: "stderr", text: "two" },
      { seq: 3, time: 1_000_005, stream: "system", text: "three" },
    ]);
    expect(buf.tail().map((l) => l.text)).toEqual(["one", "two", "three"]);
  });

  test("bounded by bytes: old lines go first", () => {
    const buf = new LogBuffer({ clock: new FakeClock(), maxBytes: 3 * (100 + 48) });
    for (let i = 0; i < 10; i++) buf.append("stdout", `${i}`.padEnd(100, "."));
    expect(buf.length).toBe(3);
    expect(buf.tail()[0]?.text.startsWith("7")).toBe(true);
    expect(buf.bytes).toBeLessThanOrEqual(3 * 148);
  });

  test("bounded by lines", () => {
    const buf = new LogBuffer({ clock: new FakeClock(), maxLines: 5 });
    for (let i = 0; i < 20; i++) buf.append("stdout", String(i));
    expect(buf.tail().map((l) => l.text)).toEqual(["15", "16", "17", "18", "19"]);
  });

  test("follow (logs -f): tail then live lines; a slow reader gets a dropped marker", async () => {
    const buf = new LogBuffer({ clock: new FakeClock() });
    buf.append("stdout", "old");
    const ac = new AbortController();
    const it = buf.follow({ tail: 1, signal: ac.signal, maxQueue: 2 });
    expect((await it.next()).value?.text).toBe("old");
    const next = it.next();
    buf.append("stdout", "a");
    expect((await next).value?.text).toBe("a");
    for (const t of ["b", "c", "d", "e"]) buf.append("stderr", t);
    const marker = (await it.next()).value;
    expect(marker).toMatchObject({ stream: "system", text: "[2 lines dropped: reader too slow]" });
    expect((await it.next()).value?.text).toBe("d");
    expect((await it.next()).value?.text).toBe("e");
    ac.abort();
    expect((await it.next()).done).toBe(true);
  });

  test("followBatches: the tail then live lines in batches, with the dropped marker", async () => {
    const buf = new LogBuffer({ clock: new FakeClock() });
    buf.append("stdout", "old");
    const ac = new AbortController();
    const it = buf.followBatches({ tail: 1, signal: ac.signal, maxQueue: 2 });
    expect(((await it.next()).value ?? []).map((l: LogLine) => l.text)).toEqual(["old"]);
    const next = it.next();
    for (const t of ["a", "b", "c"]) buf.append("stderr", t);
    const batch: LogLine[] = (await next).value ?? [];
    expect(batch.map((l) => [l.stream, l.text])).toEqual([
      ["system", "[1 lines dropped: reader too slow]"],
      ["stderr", "b"],
      ["stderr", "c"],
    ]);
    ac.abort();
    expect((await it.next()).done).toBe(true);
  });
});
