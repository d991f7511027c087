import { expect, test } from "bun:test";
import { startEventLoopMonitor } from "./event-loop-monitor.ts";

/** A monitor on a hand-driven clock and timer: `fire(elapsed)` runs the tick `elapsed` ms after the last. */
function monitored() {
  let now = 1_000;
  let tick: (() => void) | undefined;
  const periods: number[] = [];
  const cleared: unknown[] = [];
  const lines: string[] = [];
  const monitor = startEventLoopMonitor({
    log: (line) => lines.push(line),
    clock: { monotonic: () => now },
    timers: {
      setInterval(fn, ms) {
        tick = fn;
        periods.push(ms);
        return "handle";
      },
      clearInterval: (handle) => cleared.push(handle),
    },
  });
  const fire = (elapsed: number) => {
    now += elapsed;
    tick?.();
  };
  return { monitor, fire, lines, periods, cleared };
}

test("a timer every 50 ms; on time, or late by 100 ms at most, says nothing", () => {
  const { fire, lines, periods } = monitored();
  expect(periods).toEqual([50]);
  for (let i = 0; i < 100; i++) fire(50);
  fire(150); // 100 ms late: not over the threshold
  fire(49);
  expect(lines).toEqual([]);
});

test("a block is one line with its length, at once", () => {
  const { fire, lines } = monitored();
  fire(50);
  fire(400); // fired 350 ms late: the loop was blocked
  expect(lines).toEqual(["event loop blocked for 350 ms"]);
});

test("at most one line a second: the blocks meanwhile come in the next line, the longest and their count", () => {
  const { fire, lines } = monitored();
  fire(50);
  fire(250); // 200 ms: reported at once
  fire(300); // 250 ms, 300 ms after the line: held
  fire(50);
  fire(600); // 550 ms, 950 ms after the line: held
  expect(lines).toEqual(["event loop blocked for 200 ms"]);
  fire(50); // a second after the line: the held blocks are reported
  expect(lines).toEqual([
    "event loop blocked for 200 ms",
    "event loop blocked for 550 ms (the longest of 2 blocks since the last report)",
  ]);
  for (let i = 0; i < 40; i++) fire(50);
  expect(lines).toHaveLength(2);
  fire(1_150); // a second on: reported at once, alone
  expect(lines.at(-1)).toBe("event loop blocked for 1100 ms");
});

test("stop clears the timer", () => {
  const { monitor, cleared } = monitored();
  monitor.stop();
  expect(cleared).toEqual(["handle"]);
});
