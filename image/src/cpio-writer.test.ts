import { afterAll, describe, expect, test } from "bun:test";
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CPIO_HEADER_SIZE, type CpioEntry, cpioBytes, normalizeCpioPath } from "./cpio-writer.ts";

const text = new TextDecoder();
const enc = new TextEncoder();

/** Parses a newc archive back into (name, mode, size, mtime, ino, rdev) records. */
function parse(bytes: Uint8Array) {
  const out: Array<{
    name: string;
    mode: number;
    size: number;
    mtime: number;
    ino: number;
    rdev: string;
    data: string;
  }> = [];
  let at = 0;
  for (;;) {
    const head = text.decode(bytes.subarray(at, at + CPIO_HEADER_SIZE));
    expect(head.slice(0, 6)).toBe("070701");
    const field = (i: number) => Number.parseInt(head.slice(6 + 8 * i, 14 + 8 * i), 16);
    const namesize = field(11);
    const size = field(6);
    const name = text.decode(bytes.subarray(at + CPIO_HEADER_SIZE, at + CPIO_HEADER_SIZE + namesize - 1));
    at += CPIO_HEADER_SIZE + namesize;
    at += (4 - (at % 4)) % 4;
    const data = text.decode(bytes.subarray(at, at + size));
    at += size + ((4 - (size % 4)) % 4);
    if (name === "TRAILER!!!") return { records: out, end: at };
    out.push({
      name,
      mode: field(1),
      size,
      mtime: field(5),
      ino: field(0),
      rdev: `${field(9)},${field(10)}`,
      data,
    });
  }
}

describe("cpio writer", () => {
  test("exact bytes of a one-file archive", () => {
    const bytes = cpioBytes([{ type: "file", path: "/a", mode: 0o644, data: enc.encode("hi\n") }], {
      mtime: 1,
    });
    const expected =
      "070701" +
      ["00000001", "000081a4", "00000000", "00000000", "00000001", "00000001", "00000003"].join("") +
      ["00000000", "00000000", "00000000", "00000000", "00000002", "00000000"].join("") +
      "a\0" + // 110 + 2 = 112, already aligned
      "hi\n\0" + // data padded to 4
      "070701" +
      ["00000000", "00000000", "00000000", "00000000", "00000001", "00000000", "00000000"].join("") +
      ["00000000", "00000000", "00000000", "00000000", "0000000b", "00000000"].join("") +
      "TRAILER!!!\0\0\0\0"; // 110 + 11 = 121 -> 124
    expect(text.decode(bytes)).toBe(expected);
    expect(bytes.length % 4).toBe(0);
  });

  test("sorts entries, adds parents, numbers inodes, fixes mtime and owner", () => {
    const entries: CpioEntry[] = [
      { type: "file", path: "/lib/modules/x.ko", mode: 0o644, data: enc.encode("ko") },
      { type: "symlink", path: "/lib64/ld.so", target: "/lib/ld-2.so" },
      { type: "char", path: "/dev/console", mode: 0o600, major: 5, minor: 1 },
      { type: "block", path: "/dev/loop0", mode: 0o660, major: 7, minor: 0 },
      { type: "dir", path: "/proc", mode: 0o555 },
      { type: "file", path: "/init", mode: 0o755, data: enc.encode("ELF") },
    ];
    const { records } = parse(cpioBytes(entries, { mtime: 1700000000 }));
    expect(records.map((r) => r.name)).toEqual([
      "dev",
      "dev/console",
      "dev/loop0",
      "init",
      "lib",
      "lib/modules",
      "lib/modules/x.ko",
      "lib64",
      "lib64/ld.so",
      "proc",
    ]);
    expect(records.map((r) => r.ino)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(new Set(records.map((r) => r.mtime))).toEqual(new Set([1700000000]));
    const by = new Map(records.map((r) => [r.name, r]));
    expect(by.get("dev")?.mode).toBe(0o040755);
    expect(by.get("dev/console")?.mode).toBe(0o020600);
    expect(by.get("dev/console")?.rdev).toBe("5,1");
    expect(by.get("dev/loop0")?.mode).toBe(0o060660);
    expect(by.get("dev/loop0")?.rdev).toBe("7,0");
    expect(by.get("lib64/ld.so")?.mode).toBe(0o120777);
    expect(by.get("lib64/ld.so")?.data).toBe("/lib/ld-2.so");
    expect(by.get("proc")?.mode).toBe(0o040555);
    expect(by.get("init")?.data).toBe("ELF");
  });

  test("same entries in any order give the same bytes", () => {
    const entries: CpioEntry[] = [
      { type: "file", path: "b/c", mode: 0o600, data: enc.encode("12345") },
      { type: "dir", path: "a", mode: 0o700 },
      { type: "symlink", path: "b/d", target: "c" },
    ];
    const one = cpioBytes(entries, { mtime: 5 });
    const two = cpioBytes([...entries].reverse(), { mtime: 5 });
    expect(Buffer.from(one).equals(Buffer.from(two))).toBe(true);
  });

  test("bad input names the culprit", () => {
    const f = (path: string): CpioEntry => ({ type: "file", path, mode: 0o644, data: new Uint8Array() });
    expect(() => cpioBytes([f("a"), f("/a")], { mtime: 0 })).toThrow("duplicate path a");
    expect(() => cpioBytes([f("a"), f("a/b")], { mtime: 0 })).toThrow("a/b needs a to be a directory");
    expect(() => cpioBytes([{ type: "dir", path: "x", mode: 0o40755 }], { mtime: 0 })).toThrow("mode of x");
    expect(() => normalizeCpioPath("a/../b")).toThrow('contains ".."');
    expect(() => normalizeCpioPath("//")).toThrow("empty path");
    expect(normalizeCpioPath("/a//b/")).toBe("a/b");
  });

  describe("read back by busybox cpio", () => {
    const dir = mkdtempSync(join(tmpdir(), "bronze-cpio-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test("extracts files, modes, dirs and symlinks", async () => {
      const archive = cpioBytes(
        [
          { type: "file", path: "bin/tool", mode: 0o755, data: enc.encode("#!/bin/true\n") },
          { type: "file", path: "etc/odd", mode: 0o640, data: enc.encode("x".repeat(1001)) },
          { type: "dir", path: "empty", mode: 0o711 },
          { type: "symlink", path: "sbin", target: "bin" },
        ],
        { mtime: 1000000000 },
      );
      writeFileSync(join(dir, "a.cpio"), archive);
      const out = join(dir, "out");
      const proc = Bun.spawn(
        ["sh", "-c", `mkdir -p ${out} && cd ${out} && busybox cpio -i -d -m < ../a.cpio`],
        {
          stderr: "pipe",
        },
      );
      expect(await proc.exited).toBe(0);
      expect(readFileSync(join(out, "bin/tool"), "utf8")).toBe("#!/bin/true\n");
      expect(statSync(join(out, "bin/tool")).mode & 0o7777).toBe(0o755);
      expect(readFileSync(join(out, "etc/odd"), "utf8")).toBe("x".repeat(1001));
      expect(statSync(join(out, "etc/odd")).mode & 0o7777).toBe(0o640);
      expect(statSync(join(out, "etc/odd")).mtimeMs).toBe(1000000000 * 1000);
      expect(statSync(join(out, "empty")).isDirectory()).toBe(true);
      expect(lstatSync(join(out, "sbin")).isSymbolicLink()).toBe(true);
      expect(readlinkSync(join(out, "sbin"))).toBe("bin");
    });
  });
});
