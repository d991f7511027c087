import { expect, test } from "bun:test";
import { processStartSeconds, uptimeSeconds } from "./proc-clock.ts";

test("a process just spawned started between two readings of the uptime", async () => {
  const before = uptimeSeconds();
  const proc = Bun.spawn(["sleep", "5"]);
  try {
    const started = processStartSeconds(proc.pid);
    const after = uptimeSeconds();
    expect(started).toBeGreaterThanOrEqual(before - 0.01);
    expect(started).toBeLessThanOrEqual(after + 0.01);
  } finally {
    proc.kill();
    await proc.exited;
  }
});

test("parses field 22 even when the command has spaces and parentheses", () => {
  const stat = `42 (a (b) c) S ${Array.from({ length: 18 }, (_, i) => i + 4).join(" ")} 12345 99 0`;
  expect(processStartSeconds(42, () => stat)).toBe(123.45);
  expect(uptimeSeconds(() => "8123.45 16000.00\n")).toBe(8123.45);
});
