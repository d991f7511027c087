// LogFile on a real full filesystem (a 64 KiB tmpfs): root, a mount (a component test).
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mountTmpfs, type Tmpfs } from "@bronze/testing";
import { CUT_LINE_END, LogFile } from "./log-file.ts";

let dir: string;
let tmpfs: Tmpfs | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bronze-logfile-"));
});
afterEach(() => {
  tmpfs?.unmount();
  tmpfs = undefined;
  rmSync(dir, { recursive: true, force: true });
});

test("ENOSPC: one notice, the line cut short is ended, the gap marked, nothing glued; resuming says what was dropped", () => {
  const fs = join(dir, "var");
  tmpfs = mountTmpfs(fs, "64k");
  // 48 of the 64 KiB taken by something else: the log has four pages
  writeFileSync(join(fs, "filler"), Buffer.alloc(48 * 1024, 1));
  const path = join(fs, "log/svc.log");
  const notices: string[] = [];
  const f = new LogFile(path, { notice: (l) => notices.push(l) });
  // 100-byte lines, 50 a batch: 5000 bytes, not a multiple of a page, so a write ends cut short
  const line = (n: number) => `line-${String(n).padStart(4, "0")}-${"x".repeat(89)}`;
  let n = 0;
  const batch = () => {
    for (let i = 0; i < 50; i++) f.append(line(n++));
    f.flush();
  };
  for (let i = 0; i < 6; i++) batch();
  expect(notices).toHaveLength(1);
  expect(notices[0]).toMatch(
    new RegExp(`^log writes to ${path} failing since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z: ENOSPC$`),
  );
  expect(readFileSync(path, "utf8").endsWith("\n")).toBe(false); // a line cut short

  rmSync(join(fs, "filler"));
  batch();
  f.close();
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  expect(lines.pop()).toBe("");
  // every line is whole, the one cut short (ended as such), or the gap marker: nothing glued
  const whole = lines.filter((l) => /^line-\d{4}-x{89}$/.test(l));
  const cut = lines.filter((l) => l.endsWith(CUT_LINE_END.trimEnd()));
  const gap = lines.filter((l) => l.startsWith("[machined] "));
  expect(cut).toHaveLength(1);
  expect(cut[0]).toMatch(/^line-\d{4}-x* \[cut: log write failed\]$/);
  expect(gap).toHaveLength(1);
  expect(gap[0]).toMatch(/^\[machined\] \d+ bytes of log lost: writes failed from \S+ to \S+ \(ENOSPC\)$/);
  expect(whole.length + cut.length + gap.length).toBe(lines.length);
  for (const l of lines) expect(l.split("line-").length).toBeLessThanOrEqual(2);
  // the lines after the gap are the last batch, whole
  expect(lines.slice(-50)).toEqual(Array.from({ length: 50 }, (_, i): string => line(n - 50 + i)));
  // what was not written whole is what resuming says was dropped
  const dropped = (n - whole.length) * 100;
  expect(gap[0]).toStartWith(`[machined] ${dropped} bytes of log lost`);
  expect(notices.slice(1)).toEqual([`log writes to ${path} resumed, ${dropped} bytes dropped`]);
});
