import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defaultFileTargets,
  type FileTarget,
  type MachineFile,
  MachineFilesError,
  resolveFilePath,
  writeMachineFiles,
} from "./machine-files.ts";

let dir: string;
let targets: FileTarget[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "machine-files-"));
  targets = defaultFileTargets({ var: join(dir, "var"), system: join(dir, "system") });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const file = (path: string, op: MachineFile["op"] = "create", content = "x\n", permissions = 0o644) => ({
  path,
  op,
  content,
  permissions,
});

describe("resolveFilePath", () => {
  test("maps /var and /etc/cri/conf.d into the node's directories", () => {
    expect(resolveFilePath("/var/lib/a.conf", targets)).toEqual({ hostPath: join(dir, "var/lib/a.conf") });
    expect(resolveFilePath("/etc/cri/conf.d/20-x.part", targets)).toEqual({
      hostPath: join(dir, "system/etc/cri/conf.d/20-x.part"),
    });
  });
  test("refuses other places, relative and unnormalised paths", () => {
    for (const p of [
      "/etc/passwd",
      "/var",
      "/var/",
      "var/x",
      "/var/../etc/x",
      "/var//x",
      "/var/./x",
      "/varx/y",
    ]) {
      expect(resolveFilePath(p, targets)).toHaveProperty("problem");
    }
  });
});

describe("writeMachineFiles", () => {
  test("creates, overwrites and appends with the given permissions", () => {
    mkdirSync(join(dir, "var/etc"), { recursive: true });
    writeFileSync(join(dir, "var/etc/old"), "old");
    const written = writeMachineFiles(
      [
        file("/var/lib/app/new.conf", "create", "a=1\n", 0o600),
        file("/var/etc/old", "overwrite", "new\n", 0o640),
        file("/var/log/app.log", "append", "line 1\n"),
        file("/var/log/app.log", "append", "line 2\n"),
        file("/etc/cri/conf.d/20-x.part", "create", "[plugins]\n"),
      ],
      targets,
    );
    expect(written.map((w) => w.result)).toEqual([
      "created",
      "overwritten",
      "appended",
      "appended",
      "created",
    ]);
    expect(readFileSync(join(dir, "var/lib/app/new.conf"), "utf8")).toBe("a=1\n");
    expect(statSync(join(dir, "var/lib/app/new.conf")).mode & 0o7777).toBe(0o600);
    expect(readFileSync(join(dir, "var/etc/old"), "utf8")).toBe("new\n");
    expect(statSync(join(dir, "var/etc/old")).mode & 0o7777).toBe(0o640);
    expect(readFileSync(join(dir, "var/log/app.log"), "utf8")).toBe("line 1\nline 2\n");
    expect(readFileSync(join(dir, "system/etc/cri/conf.d/20-x.part"), "utf8")).toBe("[plugins]\n");
  });

  test("create leaves an identical file alone and refuses to replace a different one", () => {
    writeMachineFiles([file("/var/a", "create", "same\n")], targets);
    expect(writeMachineFiles([file("/var/a", "create", "same\n")], targets)[0]?.result).toBe("unchanged");
    const err = (() => {
      try {
        writeMachineFiles([file("/var/b", "create"), file("/var/a", "create", "other\n")], targets);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(MachineFilesError);
    expect((err as MachineFilesError).code).toBe("AlreadyExists");
    expect((err as MachineFilesError).message).toContain('machine.files[1].path "/var/a"');
    expect(readFileSync(join(dir, "var/a"), "utf8")).toBe("same\n");
  });

  test("paths outside the allowed directories are refused before anything is written, each named", () => {
    let err: unknown;
    try {
      writeMachineFiles([file("/var/ok"), file("/etc/shadow"), file("/var/../root/x")], targets);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MachineFilesError);
    const message = (err as Error).message;
    expect(message).toContain('machine.files[1].path "/etc/shadow"');
    expect(message).toContain(
      "outside the directories machine.files may write (/var/..., /etc/cri/conf.d/...)",
    );
    expect(message).toContain("machine.files[2].path");
    expect(() => statSync(join(dir, "var/ok"))).toThrow();
  });

  test("refuses to write through a symbolic link", () => {
    mkdirSync(join(dir, "var"), { recursive: true });
    mkdirSync(join(dir, "outside"));
    symlinkSync(join(dir, "outside"), join(dir, "var/link"));
    expect(() => writeMachineFiles([file("/var/link/x")], targets)).toThrow(/symbolic link/);
    expect(() => statSync(join(dir, "outside/x"))).toThrow();
  });

  test("a link planted at the old fixed temporary name is not followed (security review L2)", () => {
    // A workload with hostPath access to /var could plant `<file>.bronze-tmp -> /system/...`: PID 1 used to
    // open it with "w" (following the link, truncating the target) and chmod it.
    mkdirSync(join(dir, "var/etc"), { recursive: true });
    const victim = join(dir, "system-secret");
    writeFileSync(victim, "precious", { mode: 0o600 });
    symlinkSync(victim, join(dir, "var/etc/app.conf.bronze-tmp"));
    writeMachineFiles([file("/var/etc/app.conf", "overwrite", "new\n", 0o666)], targets);
    expect(readFileSync(victim, "utf8")).toBe("precious");
    expect(statSync(victim).mode & 0o7777).toBe(0o600);
    expect(readFileSync(join(dir, "var/etc/app.conf"), "utf8")).toBe("new\n");
    expect(statSync(join(dir, "var/etc/app.conf")).mode & 0o7777).toBe(0o666);
    expect(lstatSync(join(dir, "var/etc/app.conf.bronze-tmp")).isSymbolicLink()).toBe(true);
    expect(readdirSync(join(dir, "var/etc")).sort()).toEqual(["app.conf", "app.conf.bronze-tmp"]);
  });

  test("a write failure names the file", () => {
    mkdirSync(join(dir, "var/dir-not-file"), { recursive: true });
    expect(() => writeMachineFiles([file("/var/dir-not-file", "overwrite")], targets)).toThrow(
      /machine\.files\[0\]\.path "\/var\/dir-not-file": cannot write .*\(EISDIR\)/,
    );
    expect(readdirSync(join(dir, "var"))).toEqual(["dir-not-file"]);
  });
});
