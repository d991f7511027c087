import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../testing/fake-clock.ts";
import { LogBuffer } from "./log-buffer.ts";
import { LogFile } from "./log-file.ts";
import { ServiceLog } from "./service-log.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bronze-svclog-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

test("lines go to the buffer with their stream and to the file; machined's own lines are marked", () => {
  const buffer = new LogBuffer({ clock: new FakeClock() });
  const file = new LogFile(join(dir, "etcd.log"));
  const log = new ServiceLog(buffer, file);
  log.line("stdout", "ready");
  log.line("system", "still running 10000 ms after SIGTERM: sending SIGKILL");
  file.close();
  expect(buffer.tail().map((l) => [l.stream, l.text])).toEqual([
    ["stdout", "ready"],
    ["system", "still running 10000 ms after SIGTERM: sending SIGKILL"],
  ]);
  expect(readFileSync(join(dir, "etcd.log"), "utf8")).toBe(
    "ready\n[machined] still running 10000 ms after SIGTERM: sending SIGKILL\n",
  );
});

test("without a file, only the buffer", () => {
  const buffer = new LogBuffer({ clock: new FakeClock() });
  new ServiceLog(buffer, undefined).line("stderr", "x");
  expect(buffer.length).toBe(1);
});
