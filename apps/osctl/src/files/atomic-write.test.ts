import { afterEach, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliError } from "../cli-error.ts";
import { writeFilesAtomically } from "./atomic-write.ts";

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));
function scratch() {
  dir = mkdtempSync(join(tmpdir(), "atomic-"));
  return dir;
}

test("writes every file with its mode", () => {
  const d = scratch();
  writeFilesAtomically(
    [
      { path: join(d, "a"), content: "A", mode: 0o600 },
      { path: join(d, "sub/b"), content: "B" },
    ],
    { force: false },
  );
  expect(readFileSync(join(d, "a"), "utf8")).toBe("A");
  expect(statSync(join(d, "a")).mode & 0o777).toBe(0o600);
  expect(readFileSync(join(d, "sub/b"), "utf8")).toBe("B");
});

test("refuses to overwrite without force, names every existing file, and writes nothing", () => {
  const d = scratch();
  writeFileSync(join(d, "a"), "old");
  writeFileSync(join(d, "b"), "old");
  const attempt = () =>
    writeFilesAtomically(
      ["a", "b", "c"].map((n) => ({ path: join(d, n), content: "new" })),
      { force: false },
    );
  expect(attempt).toThrow(CliError);
  expect(attempt).toThrow(/refusing to overwrite .*\/a, .*\/b/);
  expect(existsSync(join(d, "c"))).toBe(false);
  expect(readFileSync(join(d, "a"), "utf8")).toBe("old");
});

test("overwrites with force", () => {
  const d = scratch();
  writeFileSync(join(d, "a"), "old");
  writeFilesAtomically([{ path: join(d, "a"), content: "new" }], { force: true });
  expect(readFileSync(join(d, "a"), "utf8")).toBe("new");
});

test("a failure while staging leaves no target and no temporary file behind", () => {
  const d = scratch();
  writeFileSync(join(d, "blocker"), "a file where a directory is needed");
  const attempt = () =>
    writeFilesAtomically(
      [
        { path: join(d, "first"), content: "1" },
        { path: join(d, "blocker/second"), content: "2" },
      ],
      { force: false },
    );
  expect(attempt).toThrow(/could not write/);
  expect(readdirSync(d)).toEqual(["blocker"]);
});

test("a failed write says which file and why, and leaves no temporary file", () => {
  const d = scratch();
  mkdirSync(join(d, "osconfig")); // a directory where the file goes: the rename fails (EISDIR)
  const attempt = () => writeFilesAtomically([{ path: join(d, "osconfig"), content: "x" }], { force: true });
  expect(attempt).toThrow(
    new RegExp(`could not write .*: cannot write ${join(d, "osconfig")}: .*\\(EISDIR\\)`),
  );
  expect(readdirSync(d)).toEqual(["osconfig"]);
});
