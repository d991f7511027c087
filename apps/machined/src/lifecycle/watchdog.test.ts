import { expect, test } from "bun:test";
import { eventually } from "@bronze/testing";
import { disarmWatchdog, feedWatchdog } from "./watchdog.ts";

test("the watchdog is fed at once and then periodically; disarming writes the magic V and closes it", async () => {
  const calls: string[] = [];
  const wd = feedWatchdog({
    path: "/dev/watchdog-test",
    everyMs: 10,
    fs: {
      open: (p) => {
        calls.push(`open ${p}`);
        return 7;
      },
      write: (fd, text) => {
        calls.push(`write ${fd} ${JSON.stringify(text)}`);
      },
      close: (fd) => {
        calls.push(`close ${fd}`);
      },
    },
  });
  expect(calls).toEqual(["open /dev/watchdog-test", 'write 7 "\\u0000"']);
  await eventually(
    "fed again by the timer",
    () => calls.filter((c) => c === 'write 7 "\\u0000"').length >= 2,
    2000,
    5,
  );
  wd.disarm();
  wd.disarm(); // once only
  const feeds = calls.filter((c) => c === 'write 7 "\\u0000"').length;
  expect(feeds).toBeGreaterThanOrEqual(2);
  expect(calls.slice(-2)).toEqual(['write 7 "V"', "close 7"]);
  await Bun.sleep(25);
  expect(calls.filter((c) => c === 'write 7 "\\u0000"').length).toBe(feeds);
});

test("abandoning stops the feeding and leaves the watchdog armed (no magic close)", async () => {
  const calls: string[] = [];
  const wd = feedWatchdog({
    everyMs: 10,
    fs: { open: () => 4, write: (_fd, text) => void calls.push(text), close: () => void calls.push("close") },
  });
  wd.abandon();
  const fed = calls.length;
  await Bun.sleep(35);
  expect(calls).toHaveLength(fed);
  expect(calls).not.toContain("V");
  expect(calls).not.toContain("close");
});

test("no watchdog device: opening throws (the caller logs that the trial runs unguarded)", () => {
  expect(() => feedWatchdog({ path: "/nonexistent/watchdog" })).toThrow();
});

test("an ordinary boot disarms the running watchdog; without one there is nothing to do", () => {
  const calls: string[] = [];
  const fs = {
    open: (p: string) => {
      calls.push(`open ${p}`);
      return 3;
    },
    write: (_fd: number, text: string) => {
      calls.push(`write ${text}`);
    },
    close: () => {
      calls.push("close");
    },
  };
  expect(disarmWatchdog({ path: "/dev/wd", fs })).toBe(true);
  expect(calls).toEqual(["open /dev/wd", "write V", "close"]);
  expect(disarmWatchdog({ path: "/nonexistent/watchdog" })).toBe(false);
});
