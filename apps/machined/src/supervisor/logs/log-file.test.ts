import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CUT_LINE_END, LogFile } from "./log-file.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bronze-logfile-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("LogFile", () => {
  test("appends lines, creating the directory; lines of one task land in one batch", async () => {
    const path = join(dir, "var/log/containerd.log");
    const f = new LogFile(path);
    f.append("one");
    f.append("two");
    expect(existsSync(path)).toBe(false); // batched until the end of this task
    await Promise.resolve();
    expect(readFileSync(path, "utf8")).toBe("one\ntwo\n");
    f.append("three");
    f.close();
    expect(readFileSync(path, "utf8")).toBe("one\ntwo\nthree\n");
  });

  test("continues an existing file and counts its size", () => {
    const path = join(dir, "a.log");
    writeFileSync(path, "previous boot\n");
    const f = new LogFile(path, { maxBytes: 1000 });
    f.append("x");
    f.flush();
    expect(f.size).toBe(16);
    expect(readFileSync(path, "utf8")).toBe("previous boot\nx\n");
    f.close();
  });

  test("rotates to .1 before exceeding maxBytes, keeping one generation", () => {
    const path = join(dir, "svc.log");
    const f = new LogFile(path, { maxBytes: 20 });
    for (const l of ["aaaaaaaa", "bbbbbbbb"]) f.append(l); // 18 bytes
    f.flush();
    f.append("cccccccc"); // would make 27: rotate first
    f.flush();
    expect(readFileSync(`${path}.1`, "utf8")).toBe("aaaaaaaa\nbbbbbbbb\n");
    expect(readFileSync(path, "utf8")).toBe("cccccccc\n");
    for (const l of ["dddddddd", "eeeeeeee", "ffffffff"]) f.append(l); // rotates inside one batch
    f.close();
    expect(readFileSync(`${path}.1`, "utf8")).toBe("cccccccc\ndddddddd\n");
    expect(readFileSync(path, "utf8")).toBe("eeeeeeee\nffffffff\n");
  });

  test("a line larger than maxBytes is still written (alone)", () => {
    const path = join(dir, "big.log");
    const f = new LogFile(path, { maxBytes: 4 });
    f.append("0123456789");
    f.append("z");
    f.close();
    expect(readFileSync(`${path}.1`, "utf8")).toBe("0123456789\n");
    expect(readFileSync(path, "utf8")).toBe("z\n");
  });

  test("write failures are one notice, said again at most every interval; resuming is one notice too", () => {
    const logDir = join(dir, "ro");
    mkdirSync(logDir);
    const path = join(logDir, "x.log");
    const notices: string[] = [];
    let now = Date.UTC(2026, 11, 6, 10, 0, 0);
    const f = new LogFile(path, { notice: (l) => notices.push(l), now: () => now, noticeIntervalMs: 60_000 });
    // Make the path a directory: opening it for append fails (even as root).
    mkdirSync(path);
    for (let i = 0; i < 5; i++) {
      f.append("lost!");
      expect(() => f.flush()).not.toThrow();
      now += 10_000;
    }
    expect(notices).toEqual([`log writes to ${path} failing since 2026-12-06T10:00:00.000Z: EISDIR`]);
    expect(f.failingSince).toBe(Date.UTC(2026, 11, 6, 10, 0, 0));
    now += 20_000;
    f.append("lost!");
    f.flush();
    expect(notices.at(-1)).toBe(
      `log writes to ${path} failing since 2026-12-06T10:00:00.000Z: EISDIR (36 bytes dropped so far)`,
    );
    rmSync(path, { recursive: true });
    chmodSync(logDir, 0o755);
    f.append("kept");
    f.close();
    expect(notices).toHaveLength(3);
    expect(notices.at(-1)).toBe(`log writes to ${path} resumed, 36 bytes dropped`);
    expect(readFileSync(path, "utf8")).toBe(
      "[machined] 36 bytes of log lost: writes failed from 2026-12-06T10:00:00.000Z to 2026-12-06T10:01:10.000Z (EISDIR)\nkept\n",
    );
    expect(f.failingSince).toBeUndefined();
  });

  test("a file left ending inside a line (a previous boot's full disk) is ended before new lines", () => {
    const path = join(dir, "cut.log");
    writeFileSync(path, "complete\nhalf a li");
    const f = new LogFile(path);
    f.append("next");
    f.close();
    expect(readFileSync(path, "utf8")).toBe(`complete\nhalf a li${CUT_LINE_END}next\n`);
  });

  test("nothing is written after close", () => {
    const path = join(dir, "closed.log");
    const f = new LogFile(path);
    f.append("a");
    f.close();
    f.append("b");
    f.flush();
    expect(readFileSync(path, "utf8")).toBe("a\n");
  });
});
