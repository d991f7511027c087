import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildInitShim,
  ELF_HEADER_SIZE,
  INIT_SHIM_BASE,
  INIT_SHIM_EXEC_FAILED_STATUS,
  PROGRAM_HEADER_SIZE,
} from "./init-shim.ts";

describe("buildInitShim: ELF structure", () => {
  const shim = buildInitShim({ path: "/stage1", argv: ["/stage1"] });
  const view = new DataView(shim.buffer, shim.byteOffset, shim.byteLength);

  test("is a small static ELF64 x86-64 executable", () => {
    expect(shim.length).toBeLessThan(300);
    expect([...shim.subarray(0, 8)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
    expect(view.getUint16(16, true)).toBe(2); // ET_EXEC
    expect(view.getUint16(18, true)).toBe(0x3e); // EM_X86_64
    expect(view.getUint32(20, true)).toBe(1);
    expect(view.getBigUint64(32, true)).toBe(BigInt(ELF_HEADER_SIZE));
    expect(view.getUint16(52, true)).toBe(ELF_HEADER_SIZE);
    expect(view.getUint16(54, true)).toBe(PROGRAM_HEADER_SIZE);
    expect(view.getUint16(56, true)).toBe(1);
    expect(view.getUint16(60, true)).toBe(0);
  });

  test("entry point is the first byte after the headers, inside the one PT_LOAD", () => {
    const entry = Number(view.getBigUint64(24, true));
    expect(entry).toBe(INIT_SHIM_BASE + ELF_HEADER_SIZE + PROGRAM_HEADER_SIZE);
    const ph = ELF_HEADER_SIZE;
    expect(view.getUint32(ph, true)).toBe(1); // PT_LOAD
    expect(view.getUint32(ph + 4, true)).toBe(5); // R+X
    expect(view.getBigUint64(ph + 8, true)).toBe(0n);
    expect(Number(view.getBigUint64(ph + 16, true))).toBe(INIT_SHIM_BASE);
    expect(Number(view.getBigUint64(ph + 32, true))).toBe(shim.length);
    expect(Number(view.getBigUint64(ph + 40, true))).toBe(shim.length);
    // first instruction: lea rdi, [rip+...]
    expect([...shim.subarray(entry - INIT_SHIM_BASE, entry - INIT_SHIM_BASE + 3)]).toEqual([
      0x48, 0x8d, 0x3d,
    ]);
  });

  test("argv pointers point at the baked strings, NULL-terminated", () => {
    const argv = ["sh", "-c", "echo hi"];
    const bytes = buildInitShim({ path: "/bin/x", argv });
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const text = new TextDecoder();
    // the argv array is the last 8 * (n + 1) bytes
    const at = bytes.length - 8 * (argv.length + 1);
    expect(at % 8).toBe(0);
    argv.forEach((arg, i) => {
      const offset = Number(v.getBigUint64(at + 8 * i, true)) - INIT_SHIM_BASE;
      const end = bytes.indexOf(0, offset);
      expect(text.decode(bytes.subarray(offset, end))).toBe(arg);
    });
    expect(v.getBigUint64(at + 8 * argv.length, true)).toBe(0n);
  });

  test("rejects a relative path, an empty argv and NUL bytes", () => {
    expect(() => buildInitShim({ path: "stage1", argv: ["x"] })).toThrow(/absolute/);
    expect(() => buildInitShim({ path: "/stage1", argv: [] })).toThrow(/argv\[0\]/);
    expect(() => buildInitShim({ path: "/stage1", argv: ["a\0b"] })).toThrow(/argv\[0\] contains a NUL/);
  });
});

// Runs the shim for real as PID 1 of a new PID + mount namespace, chrooted into a directory that
// holds only /init, an empty /proc and busybox as the exec target.
describe("buildInitShim: runs as PID 1", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function root(argv: string[], path = "/stage1"): string {
    const dir = mkdtempSync(join(tmpdir(), "bronze-shim-"));
    dirs.push(dir);
    mkdirSync(join(dir, "proc"));
    copyFileSync("/bin/busybox", join(dir, "stage1"));
    chmodSync(join(dir, "stage1"), 0o755);
    writeFileSync(join(dir, "init"), buildInitShim({ path, argv }), { mode: 0o755 });
    return dir;
  }

  async function run(dir: string, env: Record<string, string> = {}) {
    const proc = Bun.spawn(["unshare", "--mount", "--pid", "--fork", "chroot", dir, "/init"], {
      stdout: "pipe",
      stderr: "pipe",
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", ...env },
    });
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { stdout, stderr, code };
  }

  test("mounts /proc, execs the target with the baked argv and passes the environment through", async () => {
    const dir = root([
      "sh",
      "-c",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
      'read -r stat </proc/self/stat && echo "pid=${stat%% *}" && tr "\\0" " " </proc/1/cmdline && echo && echo "foo=$FOO"',
    ]);
    const { stdout, stderr, code } = await run(dir, { FOO: "bar" });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toBe("pid=1");
    expect(lines[1]?.startsWith("sh -c read -r stat </proc/self/stat")).toBe(true);
    expect(lines[2]).toBe("foo=bar");
  });

  test("without the shim's mount, /proc would be empty (control)", async () => {
    const dir = root(["sh", "-c", "true"]);
    copyFileSync("/bin/busybox", join(dir, "busybox"));
    chmodSync(join(dir, "busybox"), 0o755);
    const proc = Bun.spawn(
      [
        "unshare",
        "--mount",
        "--pid",
        "--fork",
        "chroot",
        dir,
        "/busybox",
        "sh",
        "-c",
        "/busybox ls /proc | /busybox wc -l",
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    const out = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    expect(out.trim()).toBe("0");
  });

  test("reports a failed execve on stderr and exits 127", async () => {
    const dir = root(["missing"], "/does/not/exist");
    const { stderr, code } = await run(dir);
    expect(stderr).toBe("bronze-init: execve /does/not/exist failed\n");
    expect(code).toBe(INIT_SHIM_EXEC_FAILED_STATUS);
  });
});
