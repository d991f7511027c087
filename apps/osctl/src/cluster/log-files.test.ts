import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readLog, tailLog } from "./log-files.ts";

const dir = mkdtempSync(join(tmpdir(), "osctl-log-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a log not written yet reads as empty; the tail is its last lines", () => {
  const path = join(dir, "qemu.log");
  expect(readLog(path)).toBe("");
  expect(tailLog(path, 5)).toBe("");
  writeFileSync(path, "one\ntwo\nthree\n\n");
  expect(readLog(path)).toBe("one\ntwo\nthree\n\n");
  expect(tailLog(path, 2)).toBe("two\nthree");
  expect(tailLog(path, 10)).toBe("one\ntwo\nthree");
});
