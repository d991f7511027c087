import { afterEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compareTrees } from "./compare-trees.ts";

const dirs: string[] = [];
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "tree-"));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

test("identical trees have no differences", () => {
  expect(compareTrees(tree({ "a/b.ts": "x" }), tree({ "a/b.ts": "x" }))).toEqual([]);
});

test("missing, differing and unexpected files are all reported", () => {
  const expected = tree({ "a.ts": "1", "b.ts": "2" });
  const actual = tree({ "b.ts": "changed", "c.ts": "3" });
  expect(compareTrees(expected, actual)).toEqual(["missing: a.ts", "differs: b.ts", "unexpected: c.ts"]);
});
