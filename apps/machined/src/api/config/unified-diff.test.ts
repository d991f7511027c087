import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unifiedDiff } from "./unified-diff.ts";

const scratch = mkdtempSync(join(tmpdir(), "bronze-diff-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Applies our diff with the real `git apply` (outside a repository it acts as patch(1)). */
async function patchApplies(a: string, b: string): Promise<boolean> {
  const diff = unifiedDiff(a, b, { from: "a/file", to: "b/file" });
  writeFileSync(join(scratch, "file"), a);
  writeFileSync(join(scratch, "p.diff"), diff);
  const r = Bun.spawnSync(["git", "apply", "p.diff"], { cwd: scratch });
  if (r.exitCode !== 0) throw new Error(`git apply failed: ${r.stderr}\n${diff}`);
  return (await Bun.file(join(scratch, "file")).text()) === b;
}

test("equal texts have an empty diff", () => {
  expect(unifiedDiff("a\nb\n", "a\nb\n")).toBe("");
  expect(unifiedDiff("", "")).toBe("");
});

test("a one-line change with context", () => {
  const a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  const b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
  expect(unifiedDiff(a, b, { from: "current", to: "new" })).toBe(
    "--- current\n+++ new\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n",
  );
});

test("from nothing to something and back", () => {
  expect(unifiedDiff("", "x\ny\n")).toBe("--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n");
  expect(unifiedDiff("x\ny\n", "")).toBe("--- a\n+++ b\n@@ -1,2 +0,0 @@\n-x\n-y\n");
});

test("distant changes make separate hunks; close ones merge", () => {
  const a = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n");
  const lines = a.split("\n");
  lines[2] = "changed 2";
  lines[25] = "changed 25";
  const far = unifiedDiff(`${a}\n`, `${lines.join("\n")}\n`);
  expect(far.match(/^@@/gm)).toHaveLength(2);
  const near = a.split("\n");
  near[2] = "changed 2";
  near[7] = "changed 7";
  expect(unifiedDiff(`${a}\n`, `${near.join("\n")}\n`).match(/^@@/gm)).toHaveLength(1);
});

test("git apply turns the old text into the new one", async () => {
  const cases: [string, string][] = [
    ["a\nb\nc\n", "a\nc\nd\n"],
    ["", "new\nfile\n"],
    [
      "version: v1alpha1\nmachine:\n  type: worker\n  network:\n    hostname: a\ncluster:\n  name: x\n",
      "version: v1alpha1\nmachine:\n  type: worker\n  network:\n    hostname: b\n    nameservers: [1.1.1.1]\ncluster:\n  name: x\n",
    ],
  ];
  // Random edits: deterministic pseudo-random generator.
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let c = 0; c < 20; c++) {
    const base = Array.from({ length: 40 }, (_, i) => `l${i % 7}`);
    const edited = [...base];
    for (let e = 0; e < 6; e++) {
      const at = rand(edited.length);
      const kind = rand(3);
      if (kind === 0) edited.splice(at, 1);
      else if (kind === 1) edited.splice(at, 0, `new${e}`);
      else edited[at] = `mod${e}`;
    }
    cases.push([`${base.join("\n")}\n`, `${edited.join("\n")}\n`]);
  }
  for (const [a, b] of cases) expect(await patchApplies(a, b)).toBe(true);
});
