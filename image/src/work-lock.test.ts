import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withWorkLock } from "./work-lock.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-work-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("two builds on one work directory run one after the other; the lock is released after each", async () => {
  const lock = join(dir, "qemu.lock");
  const events: string[] = [];
  const build = (name: string, ms: number) =>
    withWorkLock(
      lock,
      async () => {
        events.push(`${name} start`);
        await Bun.sleep(ms);
        events.push(`${name} end`);
      },
      { pollMs: 5, alive: () => true },
    );
  await Promise.all([build("a", 40), build("b", 10)]);
  expect(events).toEqual(["a start", "a end", "b start", "b end"]);
  expect(existsSync(lock)).toBe(false);
});

test("a lock left by a process that is gone is taken over; a failing build releases it", async () => {
  const lock = join(dir, "stale.lock");
  writeFileSync(lock, "999999\n");
  const lines: string[] = [];
  await withWorkLock(lock, async () => {}, { alive: () => false, log: (l) => lines.push(l) });
  expect(lines).toEqual([]);
  await expect(
    withWorkLock(lock, async () => {
      throw new Error("mksquashfs failed");
    }),
  ).rejects.toThrow("mksquashfs failed");
  expect(existsSync(lock)).toBe(false);
});
