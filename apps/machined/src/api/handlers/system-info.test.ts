import { afterAll, expect, test } from "bun:test";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { ARGS_HIDDEN } from "../../sys/proc/process-info.ts";
import { makeFixture } from "../testing/api-fixture.ts";

const f = makeFixture({
  statfs: (path) => (path === "/" ? { size: 10_000n, available: 2_500n } : undefined),
});
afterAll(() => f.cleanup());
const proc = f.ctx.procRoot;

test("Memory reads meminfo under the proc root", async () => {
  writeFileSync(join(proc, "meminfo"), "MemTotal: 2048 kB\nMemFree: 1024 kB\nMemAvailable: 1500 kB\n");
  const m = await f.client("os:reader").memory({});
  expect(m.meminfo?.memtotal).toBe(2048n);
  expect(m.meminfo?.memfree).toBe(1024n);
  expect(m.meminfo?.memavailable).toBe(1500n);
});

test("Processes lists the proc root's processes", async () => {
  mkdirSync(join(proc, "1"));
  writeFileSync(join(proc, "1", "stat"), "1 (init) S 0 1 1 0 -1 0 0 0 0 0 10 5 0 0 20 0 2 0 1 1000 10 0");
  writeFileSync(join(proc, "1", "cmdline"), "init\0--token=s3cret\0");
  symlinkSync("/sbin/init", join(proc, "1", "exe"));
  const r = await f.client("os:reader").processes({});
  expect(r.processes).toHaveLength(1);
  expect(r.processes[0]?.command).toBe("init");
  expect(r.processes[0]?.cpuTime).toBeCloseTo(0.15);
  // A reader sees the executable, not the command line (it can carry secrets).
  expect([r.processes[0]?.executable, r.processes[0]?.args]).toEqual(["/sbin/init", ARGS_HIDDEN]);
  for (const role of ["os:operator", "os:admin"] as const) {
    const full = await f.client(role).processes({});
    expect([full.processes[0]?.executable, full.processes[0]?.args]).toEqual(["init", "--token=s3cret"]);
  }
});

test("Mounts joins mountinfo with filesystem usage", async () => {
  writeFileSync(
    join(proc, "self", "mountinfo"),
    "1 0 7:0 / / ro,relatime - squashfs /dev/loop0 ro\n2 1 0:5 / /system rw - tmpfs tmpfs rw\n",
  );
  const r = await f.client("os:reader").mounts({});
  expect(r.stats.map((s) => [s.mountedOn, s.filesystem, s.fsType, s.options, s.size, s.available])).toEqual([
    ["/", "/dev/loop0", "squashfs", "ro,relatime", 10_000n, 2_500n],
    ["/system", "tmpfs", "tmpfs", "rw", 0n, 0n],
  ]);
});

test("a missing /proc file is NotFound, naming what was read", async () => {
  rmSync(join(proc, "meminfo"));
  const err = await f
    .client("os:reader")
    .memory({})
    .catch((e) => ConnectError.from(e));
  expect((err as ConnectError).code).toBe(Code.NotFound);
  expect((err as ConnectError).rawMessage).toContain("meminfo");
});
