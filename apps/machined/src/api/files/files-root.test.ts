import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FilesRoot, FilesRootError } from "./files-root.ts";

const sandbox = realpathSync(mkdtempSync(join(tmpdir(), "bronze-files-root-")));
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));
mkdirSync(join(sandbox, "etc"));
writeFileSync(join(sandbox, "etc", "hosts"), "127.0.0.1 localhost\n");
symlinkSync("/etc/passwd", join(sandbox, "etc", "escape"));
symlinkSync("hosts", join(sandbox, "etc", "inside"));

const root = new FilesRoot(sandbox);

test("normalises paths into the root, '..' included", () => {
  expect(root.map("/etc/hosts")).toEqual({ visible: "/etc/hosts", host: join(sandbox, "etc/hosts") });
  expect(root.map("../../etc//hosts")).toEqual({ visible: "/etc/hosts", host: join(sandbox, "etc/hosts") });
  expect(root.map("")).toEqual({ visible: "/", host: sandbox });
});

test("follows symlinks that stay inside, refuses those that leave", () => {
  expect(root.resolve("/etc/inside").host).toBe(join(sandbox, "etc/hosts"));
  expect(() => root.resolve("/etc/escape")).toThrow(FilesRootError);
  try {
    root.resolve("/etc/escape");
  } catch (e) {
    expect((e as FilesRootError).code).toBe("Escapes");
    expect((e as FilesRootError).message).toContain("/etc/escape");
  }
});

test("a missing path is NotFound, named as the caller named it", () => {
  try {
    root.resolve("/nope/x");
    throw new Error("should have thrown");
  } catch (e) {
    expect((e as FilesRootError).code).toBe("NotFound");
    expect((e as FilesRootError).message).toBe("/nope/x: no such file or directory");
  }
});

test("the real root contains everything", () => {
  const real = new FilesRoot("/");
  expect(real.map("/etc/hosts").host).toBe("/etc/hosts");
  expect(real.resolve("/etc/hostname").host).toBe(realpathSync("/etc/hostname"));
});
