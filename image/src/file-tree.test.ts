import { afterAll, describe, expect, test } from "bun:test";
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { materializeTree, type TreeEntry, textFile, toCpioEntries, treeDigest } from "./file-tree.ts";

describe("file tree", () => {
  const dir = mkdtempSync(join(tmpdir(), "bronze-tree-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const source = join(dir, "source-bin");
  writeFileSync(source, "binary", { mode: 0o600 });
  const entries: TreeEntry[] = [
    { type: "file", path: "/usr/bin/tool", mode: 0o755, source },
    textFile("/etc/passwd", "root:x:0:0::/:/sbin/nologin\n"),
    { type: "dir", path: "/proc", mode: 0o555 },
    { type: "symlink", path: "/lib64/ld.so", target: "/lib/ld.so" },
  ];

  test("materializes files with explicit modes, parents, dirs and symlinks", () => {
    const root = join(dir, "root");
    materializeTree(entries, root);
    expect(readFileSync(join(root, "usr/bin/tool"), "utf8")).toBe("binary");
    expect(statSync(join(root, "usr/bin/tool")).mode & 0o7777).toBe(0o755);
    expect(statSync(join(root, "usr")).mode & 0o7777).toBe(0o755);
    expect(statSync(join(root, "etc/passwd")).mode & 0o7777).toBe(0o644);
    expect(statSync(join(root, "proc")).mode & 0o7777).toBe(0o555);
    expect(lstatSync(join(root, "lib64/ld.so")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(root, "lib64/ld.so"))).toBe("/lib/ld.so");
    // a second run starts from an empty directory
    materializeTree([textFile("only", "x")], root);
    expect(() => statSync(join(root, "proc"))).toThrow();
  });

  test("device nodes and duplicates are refused", () => {
    expect(() =>
      materializeTree(
        [{ type: "char", path: "dev/console", mode: 0o600, major: 5, minor: 1 }],
        join(dir, "d"),
      ),
    ).toThrow("device node dev/console");
    expect(() => materializeTree([textFile("a", "1"), textFile("/a", "2")], join(dir, "e"))).toThrow(
      "duplicate path a",
    );
  });

  test("cpio entries read host files", () => {
    const cpio = toCpioEntries(entries);
    const tool = cpio.find((e) => e.path === "/usr/bin/tool");
    expect(tool?.type === "file" && new TextDecoder().decode(tool.data)).toBe("binary");
    expect(cpio).toHaveLength(4);
  });

  test("treeDigest changes with content, mode, target and parameters, not with order", () => {
    const base = treeDigest(entries, "zstd 9");
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(treeDigest([...entries].reverse(), "zstd 9")).toBe(base);
    expect(treeDigest(entries, "zstd 3")).not.toBe(base);
    expect(treeDigest([...entries.slice(1), textFile("/usr/bin/tool", "binary", 0o755)], "zstd 9")).toBe(
      base,
    );
    expect(treeDigest([...entries.slice(1), textFile("/usr/bin/tool", "binary", 0o700)], "zstd 9")).not.toBe(
      base,
    );
    expect(treeDigest([...entries.slice(1), textFile("/usr/bin/tool", "binarY", 0o755)], "zstd 9")).not.toBe(
      base,
    );
    const relinked = entries.map((e) => (e.type === "symlink" ? { ...e, target: "/lib/other.so" } : e));
    expect(treeDigest(relinked, "zstd 9")).not.toBe(base);
  });
});
