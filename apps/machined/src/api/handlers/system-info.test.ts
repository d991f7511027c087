import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, constants, mkdirSync, openSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventually } from "@bronze/testing";
import { Code, ConnectError } from "@connectrpc/connect";
import { ARGS_HIDDEN, ARGS_UNREADABLE, CMDLINE_TIMEOUT_MS } from "../../sys/proc/process-info.ts";
import { makeFixture } from "../testing/api-fixture.ts";
import { type ServerFixture, startServerFixture } from "../testing/api-server-fixture.ts";

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

// L4 of the security review: Processes showed every command line (they can carry secrets) to
// os:reader, and read them synchronously in PID 1, where a process holding its mmap lock blocks the
// read. Over machined's real API server.
describe("Processes over the real API server", () => {
  let s: ServerFixture;
  let writer: Bun.Subprocess | undefined;
  beforeAll(async () => {
    s = await startServerFixture();
  });
  afterAll(async () => {
    writer?.kill();
    // A writer that comes and goes ends the read still stuck on the FIFO.
    try {
      closeSync(openSync(join(s.f.ctx.procRoot, "30", "cmdline"), constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // no read waiting on it
    }
    await s?.close();
  });

  test("readers see no command line; a command line that does not come holds nobody up", async () => {
    const proc = s.f.ctx.procRoot;
    const STAT = (pid: number, comm: string) =>
      `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 0 0 0 0 0 10 5 0 0 20 0 1 0 1 1000 10 0`;
    mkdirSync(join(proc, "20"));
    writeFileSync(join(proc, "20", "stat"), STAT(20, "kubelet"));
    writeFileSync(join(proc, "20", "cmdline"), "/usr/bin/kubelet\0--token=s3cret\0");
    symlinkSync("/usr/bin/kubelet", join(proc, "20", "exe"));
    mkdirSync(join(proc, "30"));
    writeFileSync(join(proc, "30", "stat"), STAT(30, "stuck"));
    symlinkSync("/usr/bin/stuck", join(proc, "30", "exe"));
    // A cmdline whose read does not return: a FIFO that a process writes only seconds later stands for
    // a process holding its mmap lock (the old code's synchronous read stalled all of PID 1 until then).
    const fifo = join(proc, "30", "cmdline");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    writer = Bun.spawn(["sh", "-c", `sleep 5; printf 'late\\0' > '${fifo}'`]);

    // A reader: executables only, the arguments marked hidden; no command line is read at all.
    const read = await s.client("os:reader").processes({});
    expect(read.processes.map((p) => [p.pid, p.executable, p.args])).toEqual([
      [20, "/usr/bin/kubelet", ARGS_HIDDEN],
      [30, "/usr/bin/stuck", ARGS_HIDDEN],
    ]);

    // An operator: the command lines, as far as they come within the deadline.
    const listing = s.client("os:operator").processes({});
    await eventually("Processes waits for the stuck command line", () => s.f.clock.pending === 1);
    // Meanwhile machined answers other calls: its event loop is not blocked.
    expect((await s.client("os:reader").version({})).platform).toBe("container");
    await s.f.clock.advance(CMDLINE_TIMEOUT_MS);
    const full = await listing;
    expect(full.processes.map((p) => [p.pid, p.command, p.executable, p.args])).toEqual([
      [20, "kubelet", "/usr/bin/kubelet", "--token=s3cret"],
      [30, "stuck", "", ARGS_UNREADABLE],
    ]);
  });
});
