import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FreeInitramfsError, freeInitramfs } from "./free-initramfs.ts";

let root: string;
let outside: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "initramfs-"));
  outside = mkdtempSync(join(tmpdir(), "outside-"));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

test("deletes files and directories, keeps the listed paths, never follows symlinks", () => {
  mkdirSync(join(root, "lib/modules/6.1"), { recursive: true });
  writeFileSync(join(root, "stage1"), "x".repeat(1000));
  writeFileSync(join(root, "lib/modules/6.1/loop.ko"), "y".repeat(24));
  mkdirSync(join(root, "newroot"));
  writeFileSync(join(root, "newroot/keep-me"), "");
  writeFileSync(join(outside, "precious"), "z");
  symlinkSync(outside, join(root, "link"));
  const result = freeInitramfs(root, { keep: [join(root, "newroot")], requireRamfs: false });
  // stage1, loop.ko and the link itself; lib, lib/modules, lib/modules/6.1; a symlink's size is its target's length.
  expect(result).toEqual({ files: 3, dirs: 3, bytes: 1000 + 24 + outside.length });
  expect(readdirSync(root)).toEqual(["newroot"]);
  expect(existsSync(join(root, "newroot/keep-me"))).toBe(true);
  expect(existsSync(join(outside, "precious"))).toBe(true);
});

test("refuses to run on a filesystem that is not ramfs or tmpfs", () => {
  // The source tree is on a disk filesystem, never a tmpfs.
  const disk = mkdtempSync(join(import.meta.dir, ".free-initramfs-"));
  try {
    writeFileSync(join(disk, "file"), "data");
    expect(() => freeInitramfs(disk)).toThrow(FreeInitramfsError);
    expect(existsSync(join(disk, "file"))).toBe(true);
  } finally {
    rmSync(disk, { recursive: true, force: true });
  }
  const shm = mkdtempSync("/dev/shm/initramfs-");
  try {
    writeFileSync(join(shm, "file"), "data");
    expect(freeInitramfs(shm).files).toBe(1);
    expect(readdirSync(shm)).toEqual([]);
  } finally {
    rmSync(shm, { recursive: true, force: true });
  }
});
