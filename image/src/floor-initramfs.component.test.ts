import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpioBytes } from "./cpio-writer.ts";
import { toCpioEntries } from "./file-tree.ts";
import {
  buildFloorInitramfs,
  compileFloorProgram,
  FLOOR_NOT_PID1_STATUS,
  FLOOR_PATH,
  FLOOR_READY_LINE,
  floorInitramfsTree,
  floorProgramSource,
  RB_POWER_OFF,
} from "./floor-initramfs.ts";
import { buildInitShim } from "./init-shim.ts";
import { runTool } from "./run-tool.ts";
import type { LibraryLookup } from "./shared-libraries.ts";

const work = mkdtempSync(join(tmpdir(), "bronze-floor-test-"));
let floor = "";

/** The host's glibc (Debian 12, as the image's libc6): no apt in unit tests. */
const hostLookup: LibraryLookup = {
  find(soname) {
    for (const dir of ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"]) {
      const path = join(dir, soname);
      if (existsSync(path)) return realpathSync(path);
    }
    return undefined;
  },
  read: (path) => readFileSync(path),
};

beforeAll(async () => {
  floor = await compileFloorProgram(runTool, join(work, "compile"));
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("floorProgramSource", () => {
  test("powers off through libc's reboot with RB_POWER_OFF, only as PID 1", () => {
    const source = floorProgramSource();
    expect(RB_POWER_OFF).toBe(0x4321fedc);
    expect(source).toContain(`libc.symbols.reboot(${RB_POWER_OFF})`);
    expect(source.indexOf("process.pid !== 1")).toBeLessThan(source.indexOf("libc.symbols.reboot("));
  });
});

describe("the compiled floor program", () => {
  test("outside PID 1 it prints its line and refuses to power off", () => {
    const proc = Bun.spawnSync([floor], { stdout: "pipe", stderr: "pipe" });
    expect(proc.stdout.toString()).toBe(`${FLOOR_READY_LINE}\n`);
    expect(proc.stderr.toString()).toContain("not PID 1");
    expect(proc.exitCode).toBe(FLOOR_NOT_PID1_STATUS);
  });

  test("as PID 1 of a PID namespace its reboot(RB_POWER_OFF) ends the namespace (SIGINT)", () => {
    // reboot(2) in a non-initial PID namespace powers off only the namespace: the kernel kills its
    // init with SIGINT, and unshare ends itself with the same signal.
    const proc = Bun.spawnSync(["unshare", "--pid", "--fork", "--mount-proc", floor], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(proc.stdout.toString()).toBe(`${FLOOR_READY_LINE}\n`);
    expect(proc.stderr.toString()).not.toContain("returned");
    expect(proc.signalCode).toBe("SIGINT");
  });
});

describe("floorInitramfsTree", () => {
  const shim = buildInitShim({ path: FLOOR_PATH, argv: [FLOOR_PATH] });
  const libraries = {
    libraries: new Map([["libc.so.6", "/host/libc.so.6"]]),
    interpreters: ["/lib64/ld-linux-x86-64.so.2"],
  };
  const tree = floorInitramfsTree({ shim, floor: "/host/floor", libraries });
  const byPath = new Map(tree.map((e) => [e.path, e]));

  test("/init is the shim that execs the floor; the floor and glibc are shipped", () => {
    expect(byPath.get("/init")).toEqual({ type: "file", path: "/init", mode: 0o755, data: shim });
    expect(new TextDecoder().decode(shim)).toContain(FLOOR_PATH);
    expect(byPath.get(FLOOR_PATH)).toEqual({
      type: "file",
      path: FLOOR_PATH,
      mode: 0o755,
      source: "/host/floor",
    });
    expect(byPath.get("/lib/x86_64-linux-gnu/libc.so.6")).toMatchObject({ source: "/host/libc.so.6" });
    expect(byPath.get("/lib64/ld-linux-x86-64.so.2")).toEqual({
      type: "symlink",
      path: "/lib64/ld-linux-x86-64.so.2",
      target: "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
    });
  });

  test("has /proc for the shim and a console for the program's output", () => {
    expect(byPath.get("/proc")).toEqual({ type: "dir", path: "/proc", mode: 0o555 });
    expect(byPath.get("/dev/console")).toEqual({
      type: "char",
      path: "/dev/console",
      mode: 0o600,
      major: 5,
      minor: 1,
    });
  });

  test("is a valid cpio archive", () => {
    const read = (p: string) => new TextEncoder().encode(`contents of ${p}`);
    const bytes = cpioBytes(toCpioEntries(tree, read), { mtime: 0 });
    expect(new TextDecoder().decode(bytes)).toContain("contents of /host/floor");
  });
});

describe("buildFloorInitramfs", () => {
  test("writes a zstd cpio with the floor program and every library it needs", async () => {
    const output = join(work, "floor.zst");
    const result = await buildFloorInitramfs({
      cacheDir: join(work, "unused-cache"),
      workDir: join(work, "build"),
      output,
      run: runTool,
      lookup: hostLookup,
    });
    expect(result.path).toBe(output);
    expect(result.bytes).toBe(Bun.file(output).size);
    expect(result.libraries).toContain("libc.so.6");
    expect(result.libraries).toContain("ld-linux-x86-64.so.2");
    // The compressed archive is much smaller than the ~95 MB Bun runtime it carries.
    expect(result.bytes).toBeLessThan(result.cpioBytes / 2);
    const cpio = Bun.spawnSync(["zstd", "-dc", output], { stdout: "pipe" }).stdout;
    expect(cpio.length).toBe(result.cpioBytes);
    const text = new TextDecoder("latin1").decode(cpio.subarray(0, 4096));
    expect(text.startsWith("070701")).toBe(true);
    const all = new TextDecoder("latin1").decode(cpio);
    for (const name of ["floor", "init", "lib/x86_64-linux-gnu/libc.so.6", "dev/console", "TRAILER!!!"])
      expect(all).toContain(`${name}\0`);
    expect(all).toContain(FLOOR_READY_LINE);
  }, 120_000);
});
