import { describe, expect, test } from "bun:test";
import { FakeClock } from "../testing/fake-clock.ts";
import {
  type Phase,
  runSequence,
  SequenceError,
  type SequenceEvent,
  SequenceLock,
  SequenceLockedError,
} from "./sequence.ts";

function setup() {
  const clock = new FakeClock();
  const lines: string[] = [];
  const events: SequenceEvent[] = [];
  return {
    clock,
    lines,
    events,
    options: { clock, log: (l: string) => lines.push(l), onEvent: (e: SequenceEvent) => events.push(e) },
  };
}

describe("runSequence", () => {
  test("runs phases in order, tasks of a phase together, logging and recording durations", async () => {
    const { clock, lines, events, options } = setup();
    const order: string[] = [];
    const phases: Phase[] = [
      {
        name: "one",
        tasks: [
          {
            name: "slow",
            async run() {
              order.push("slow start");
              await clock.sleep(50);
              order.push("slow end");
            },
          },
          {
            name: "fast",
            run: ({ log }) => {
              order.push("fast");
              log("hello");
            },
          },
        ],
      },
      { name: "two", tasks: [{ name: "last", run: () => void order.push("last") }] },
    ];
    const done = runSequence("boot", phases, options);
    await clock.advance(50);
    await done;
    expect(order).toEqual(["slow start", "fast", "slow end", "last"]);
    expect(lines).toContain("[boot] fast: hello");
    expect(lines).toContain("[boot] phase one: task slow finished in 50 ms");
    expect(lines.at(-1)).toBe("[boot] sequence finished in 50 ms");
    const slow = events.find((e) => e.task === "slow" && e.state === "finished");
    expect(slow?.durationMs).toBe(50);
    expect(events.map((e) => [e.phase ?? "-", e.task ?? "-", e.state])).toEqual([
      ["-", "-", "started"],
      ["one", "-", "started"],
      ["one", "slow", "started"],
      ["one", "fast", "started"],
      ["one", "fast", "finished"],
      ["one", "slow", "finished"],
      ["one", "-", "finished"],
      ["two", "-", "started"],
      ["two", "last", "started"],
      ["two", "last", "finished"],
      ["two", "-", "finished"],
      ["-", "-", "finished"],
    ]);
    expect(events.every((e) => e.sequence === "boot")).toBe(true);
  });

  test("a failure stops the sequence with the task's name and error", async () => {
    const { lines, events, options } = setup();
    let ran = false;
    const cause = new Error("disk on fire");
    const phases: Phase[] = [
      {
        name: "a",
        tasks: [
          { name: "ok", run: () => {} },
          { name: "broken", run: () => Promise.reject(cause) },
        ],
      },
      {
        name: "b",
        tasks: [
          {
            name: "never",
            run: () => {
              ran = true;
            },
          },
        ],
      },
    ];
    const err = await runSequence("reboot", phases, options).catch((e) => e);
    expect(err).toBeInstanceOf(SequenceError);
    expect(err.code).toBe("TaskFailed");
    expect(err.task).toBe("broken");
    expect(err.phase).toBe("a");
    expect(err.cause).toBe(cause);
    expect(err.message).toBe("task broken (phase a) failed: disk on fire");
    expect(ran).toBe(false);
    expect(lines).toContain("[reboot] phase a: task broken failed after 0 ms: disk on fire");
    expect(events.at(-1)).toMatchObject({
      state: "failed",
      error: "task broken (phase a) failed: disk on fire",
    });
  });

  test("an aborted sequence does not start its next phase", async () => {
    const { options } = setup();
    const abort = new AbortController();
    let ran = false;
    const phases: Phase[] = [
      { name: "a", tasks: [{ name: "t", run: () => abort.abort() }] },
      {
        name: "b",
        tasks: [
          {
            name: "never",
            run: () => {
              ran = true;
            },
          },
        ],
      },
    ];
    const err = await runSequence("boot", phases, { ...options, signal: abort.signal }).catch((e) => e);
    expect(err).toBeInstanceOf(SequenceError);
    expect(err.code).toBe("Aborted");
    expect(err.phase).toBe("b");
    expect(ran).toBe(false);
  });
});

describe("SequenceLock", () => {
  test("one sequence at a time; a second is refused naming the running one", () => {
    const lock = new SequenceLock();
    const release = lock.acquire("boot");
    expect(lock.running).toBe("boot");
    let err: unknown;
    try {
      lock.acquire("reboot");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SequenceLockedError);
    expect((err as SequenceLockedError).code).toBe("Locked");
    expect((err as SequenceLockedError).running).toBe("boot");
    expect((err as Error).message).toBe("cannot start the reboot sequence: the boot sequence is running");
    release();
    release(); // idempotent
    expect(lock.running).toBeUndefined();
    lock.acquire("shutdown")();
  });
});

test("forceRelease frees the lock, and the old holder's release cannot free its successor", () => {
  const lock = new SequenceLock();
  const releaseBoot = lock.acquire("boot");
  lock.forceRelease();
  expect(lock.running).toBeUndefined();
  lock.acquire("shutdown");
  releaseBoot();
  expect(lock.running).toBe("shutdown");
});
