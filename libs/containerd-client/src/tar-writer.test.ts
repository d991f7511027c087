import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTar } from "./tar-writer.ts";

const dir = mkdtempSync(join(tmpdir(), "tar-writer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const longDir = `${"d".repeat(60)}/${"e".repeat(60)}`;
const veryLong = `${"x".repeat(130)}/${"y".repeat(120)}`;

test("GNU tar reads what we write: types, modes, long names (ustar prefix and PAX), contents", () => {
  const archive = Buffer.concat(
    writeTar([
      { path: "bin", type: "directory" },
      { path: "bin/hello", type: "file", mode: 0o755, data: new TextEncoder().encode("hi\n") },
      { path: "bin/sh", type: "symlink", linkName: "hello" },
      { path: `${longDir}/file.txt`, type: "file", data: new Uint8Array(1000).fill(65) },
      { path: veryLong, type: "file", data: new TextEncoder().encode("deep") },
    ]),
  );
  expect(archive.length % 512).toBe(0);
  const file = join(dir, "a.tar");
  writeFileSync(file, archive);
  const list = Bun.spawnSync(["tar", "-tvf", file, "--numeric-owner"]);
  expect(list.exitCode).toBe(0);
  const lines = list.stdout.toString().trim().split("\n");
  expect(lines[0]).toMatch(/^drwxr-xr-x 0\/0 +0 1970-01-01 00:00 bin\/$/);
  expect(lines[1]).toMatch(/^-rwxr-xr-x 0\/0 +3 1970-01-01 00:00 bin\/hello$/);
  expect(lines[2]).toMatch(/^lrwxrwxrwx 0\/0 +0 1970-01-01 00:00 bin\/sh -> hello$/);
  expect(lines[3]).toEndWith(`${longDir}/file.txt`);
  expect(lines[4]).toEndWith(veryLong);
  const out = Bun.spawnSync(["tar", "-xOf", file, veryLong]);
  expect(out.stdout.toString()).toBe("deep");
});

test("the same entries give the same bytes (reproducible)", () => {
  const entries = [{ path: "a", type: "file" as const, data: new Uint8Array([1, 2, 3]) }];
  expect(Buffer.concat(writeTar(entries)).equals(Buffer.concat(writeTar(entries)))).toBe(true);
});

test("bad entries are refused", () => {
  expect(() => writeTar([{ path: "", type: "file" }])).toThrow("needs a path");
  expect(() => writeTar([{ path: "l", type: "symlink" }])).toThrow("symlink l has no target");
});
