import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FilesError } from "./files-error.ts";
import { TAR_BLOCK, tarHeader, tarPadding, writeTar } from "./tar-writer.ts";

const dir = mkdtempSync(join(tmpdir(), "tar-writer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const text = (b: Uint8Array, from: number, length: number) =>
  new TextDecoder().decode(b.subarray(from, from + length)).replace(/\0.*$/s, "");

/** GNU tar's verbose listing of an archive (numeric owners, UTC). */
function gnuTarList(archive: Uint8Array[], name: string): string[] {
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat(archive));
  const list = Bun.spawnSync(
    ["tar", "-tvf", file, "--numeric-owner", "--full-time", "--quoting-style=literal"],
    { env: { TZ: "UTC" } },
  );
  expect(list.stderr.toString()).toBe("");
  expect(list.exitCode).toBe(0);
  return list.stdout.toString().trim().split("\n");
}

describe("tarHeader", () => {
  const base = { mode: 0o644, uid: 1000, gid: 100, size: 5, mtime: 1_700_000_000 };

  test("a ustar header: fields in octal, magic, and a checksum tar accepts", () => {
    const h = tarHeader({ ...base, path: "etc/hosts", type: "file" });
    expect(h.length).toBe(TAR_BLOCK);
    expect(text(h, 0, 100)).toBe("etc/hosts");
    expect(text(h, 100, 8)).toBe("0000644");
    expect(text(h, 108, 8)).toBe("0001750");
    expect(text(h, 124, 12)).toBe("00000000005");
    expect(text(h, 156, 1)).toBe("0");
    expect(text(h, 257, 6)).toBe("ustar");
    let sum = 0;
    for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] as number);
    expect(Number.parseInt(text(h, 148, 8), 8)).toBe(sum);
  });

  test("directories end with '/', symlinks carry their target, sizes are 0", () => {
    const d = tarHeader({ ...base, path: "etc", type: "directory" });
    expect(text(d, 0, 100)).toBe("etc/");
    expect(text(d, 156, 1)).toBe("5");
    expect(text(d, 124, 12)).toBe("00000000000");
    const l = tarHeader({ ...base, path: "link", type: "symlink", linkName: "hosts" });
    expect(text(l, 156, 1)).toBe("2");
    expect(text(l, 157, 100)).toBe("hosts");
  });

  test("long paths split into prefix and name; longer ones get a PAX header", () => {
    const split = `${"a".repeat(120)}/file`;
    const h = tarHeader({ ...base, path: split, type: "file" });
    expect(h.length).toBe(TAR_BLOCK);
    expect(text(h, 345, 155)).toBe("a".repeat(120));
    expect(text(h, 0, 100)).toBe("file");
    const long = `${"b".repeat(300)}/file`;
    const p = tarHeader({ ...base, path: long, type: "file" });
    expect(p.length).toBe(3 * TAR_BLOCK);
    expect(text(p, 156, 1)).toBe("x");
    const record = text(p, TAR_BLOCK, TAR_BLOCK);
    expect(record).toBe(`${record.split(" ")[0]} path=${long}\n`);
    expect(Number(record.split(" ")[0])).toBe(new TextEncoder().encode(record).length);
    expect(text(p, 2 * TAR_BLOCK + 156, 1)).toBe("0");
  });

  test("a size past ustar's 8 GiB goes to PAX", () => {
    const size = 9 * 1024 ** 3;
    const h = tarHeader({ ...base, path: "big.img", type: "file", size });
    expect(text(h, TAR_BLOCK, TAR_BLOCK)).toMatch(new RegExp(`^\\d+ size=${size}\\n$`));
  });

  test("padding fills the last block", () => {
    expect(tarPadding(0).length).toBe(0);
    expect(tarPadding(1).length).toBe(511);
    expect(tarPadding(512).length).toBe(0);
    expect(tarPadding(513).length).toBe(511);
  });
});

describe("writeTar", () => {
  const longDir = `${"d".repeat(60)}/${"e".repeat(60)}`;
  const veryLong = `${"x".repeat(130)}/${"y".repeat(120)}`;

  test("GNU tar reads what we write: types, modes, long names (ustar prefix and PAX), contents", () => {
    const archive = writeTar([
      { path: "bin", type: "directory" },
      { path: "bin/hello", type: "file", mode: 0o755, data: new TextEncoder().encode("hi\n") },
      { path: "bin/sh", type: "symlink", linkName: "hello" },
      { path: `${longDir}/file.txt`, type: "file", data: new Uint8Array(1000).fill(65) },
      { path: veryLong, type: "file", data: new TextEncoder().encode("deep") },
    ]);
    expect(Buffer.concat(archive).length % 512).toBe(0);
    const lines = gnuTarList(archive, "a.tar");
    expect(lines[0]).toMatch(/^drwxr-xr-x 0\/0 +0 1970-01-01 00:00:00 bin\/$/);
    expect(lines[1]).toMatch(/^-rwxr-xr-x 0\/0 +3 1970-01-01 00:00:00 bin\/hello$/);
    expect(lines[2]).toMatch(/^lrwxrwxrwx 0\/0 +0 1970-01-01 00:00:00 bin\/sh -> hello$/);
    expect(lines[3]).toEndWith(`${longDir}/file.txt`);
    expect(lines[4]).toEndWith(veryLong);
    const out = Bun.spawnSync(["tar", "-xOf", join(dir, "a.tar"), veryLong]);
    expect(out.stdout.toString()).toBe("deep");
  });

  test("GNU tar reads what ustar cannot hold: non-ASCII names and targets, big ids, old and far times", () => {
    const longTarget = `${"ü".repeat(80)}/target`;
    const lines = gnuTarList(
      writeTar([
        { path: "naïve/日本.txt", type: "file", data: new TextEncoder().encode("utf8") },
        { path: "link", type: "symlink", linkName: longTarget },
        { path: "ids", type: "file", uid: 100_000_000, gid: 3_000_000_000 },
        { path: "old", type: "file", mtime: -86_400 },
        { path: "far", type: "file", mtime: 0o100000000000 },
      ]),
      "pax.tar",
    );
    expect(lines[0]).toEndWith(" naïve/日本.txt");
    expect(lines[1]).toEndWith(` link -> ${longTarget}`);
    expect(lines[2]).toMatch(/^-rw-r--r-- 100000000\/3000000000 /);
    expect(lines[3]).toContain(" 1969-12-31 00:00:00 old");
    expect(lines[4]).toContain(" far");
    expect(lines[4]).toContain(String(new Date(0o100000000000 * 1000).getUTCFullYear()));
  });

  test("the same entries give the same bytes (reproducible)", () => {
    const entries = [{ path: "a", type: "file" as const, data: new Uint8Array([1, 2, 3]) }];
    expect(Buffer.concat(writeTar(entries)).equals(Buffer.concat(writeTar(entries)))).toBe(true);
  });

  test("bad entries are refused with a FilesError", () => {
    expect(() => writeTar([{ path: "", type: "file" }])).toThrow("needs a path");
    expect(() => writeTar([{ path: "l", type: "symlink" }])).toThrow("symlink l has no target");
    expect(() => writeTar([{ path: "a\0b", type: "file" }])).toThrow("NUL");
    expect(() => writeTar([{ path: "n", type: "file", uid: -1 }])).toThrow(FilesError);
    expect(() => writeTar([{ path: "n", type: "file", uid: 1.5 }])).toThrow("uid of n is not a whole number");
  });
});
