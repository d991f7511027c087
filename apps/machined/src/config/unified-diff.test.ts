import { afterAll, describe, expect, test } from "bun:test";
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

/** Applies a unified diff of ours to `a` (strictly: every context and removed line must match). */
function applyDiff(a: string, diff: string): string {
  if (diff === "") return a;
  const lines = a === "" ? [] : a.replace(/\n$/, "").split("\n");
  const out: string[] = [];
  let at = 0; // next line of `a` to copy
  const body = diff.replace(/\n$/, "").split("\n").slice(2);
  for (const line of body) {
    const hunk = /^@@ -(\d+),(\d+) \+\d+,\d+ @@$/.exec(line);
    if (hunk) {
      const start = Number(hunk[2]) === 0 ? Number(hunk[1]) : Number(hunk[1]) - 1;
      while (at < start) out.push(lines[at++] as string);
      continue;
    }
    const [kind, text] = [line[0], line.slice(1)];
    if (kind === "+") out.push(text);
    else {
      if (lines[at] !== text) throw new Error(`line ${at + 1} is not ${JSON.stringify(text)}`);
      if (kind === " ") out.push(text);
      at++;
    }
  }
  while (at < lines.length) out.push(lines[at++] as string);
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

/** The number of changed lines of a shortest edit script: n + m - 2·LCS (quadratic DP, small inputs). */
function shortestEdit(a: string[], b: string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const row = [0];
    for (let j = 1; j <= b.length; j++)
      row[j] =
        a[i - 1] === b[j - 1]
          ? (prev[j - 1] as number) + 1
          : Math.max(prev[j] as number, row[j - 1] as number);
    prev = row;
  }
  return a.length + b.length - 2 * (prev[b.length] as number);
}

const changed = (diff: string) => diff.split("\n").filter((l) => /^[-+](?![-+]{2} )/.test(l)).length;

test("the edit script is a shortest one, and the diff turns the old text into the new one", () => {
  let seed = 1;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let c = 0; c < 300; c++) {
    const base = Array.from({ length: rand(30) }, () => `l${rand(5)}`);
    const edited = [...base];
    for (let e = rand(8); e > 0; e--) {
      const at = rand(edited.length + 1);
      const kind = rand(3);
      if (kind === 0) edited.splice(at, 1);
      else if (kind === 1) edited.splice(at, 0, `n${rand(6)}`);
      else edited[at] = `l${rand(5)}`;
    }
    const a = base.length ? `${base.join("\n")}\n` : "";
    const b = edited.length ? `${edited.join("\n")}\n` : "";
    const diff = unifiedDiff(a, b);
    expect(applyDiff(a, diff)).toBe(b);
    expect(changed(diff)).toBe(shortestEdit(base, edited));
  }
});

test("within a change, removed lines come before added ones", () => {
  expect(unifiedDiff("a\nb\nc\n", "x\ny\nz\n")).toBe(
    "--- a\n+++ b\n@@ -1,3 +1,3 @@\n-a\n-b\n-c\n+x\n+y\n+z\n",
  );
});

describe("40,000 changed lines complete, in linear memory (figures: bench/diff.bench.ts)", () => {
  const numbered = (prefix: string, n: number) =>
    `${Array.from({ length: n }, (_, i) => `${prefix}${i}: value`).join("\n")}\n`;

  test("from nothing (maintenance mode) to 40,000 lines", () => {
    const b = numbered("k", 40_000);
    const diff = unifiedDiff("", b, { from: "current", to: "new" });
    expect(diff.startsWith("--- current\n+++ new\n@@ -0,0 +1,40000 @@\n+k0: value\n")).toBe(true);
    expect(changed(diff)).toBe(40_000);
    expect(applyDiff("", diff)).toBe(b);
  });

  test("20,000 lines replaced by 20,000 others: past the step budget, whole blocks", () => {
    const a = numbered("old", 20_000);
    const b = numbered("new", 20_000);
    const diff = unifiedDiff(a, b);
    expect(changed(diff)).toBe(40_000);
    expect(applyDiff(a, diff)).toBe(b);
  });

  test("every other line of 40,000 changed: correct, shortest while the budget lasts", () => {
    const lines = Array.from({ length: 40_000 }, (_, i) => `k${i}: value`);
    const a = `${lines.join("\n")}\n`;
    const b = `${lines.map((l, i) => (i % 2 ? `${l} changed` : l)).join("\n")}\n`;
    const diff = unifiedDiff(a, b);
    expect(applyDiff(a, diff)).toBe(b);
    expect(changed(diff)).toBeGreaterThanOrEqual(40_000);
  });

  test("a small budget still gives a correct diff", () => {
    const a = numbered("k", 200);
    const b = a.replace("k50: value", "k50: other").replace("k150: value", "k150: other");
    const exact = unifiedDiff(a, b);
    expect(changed(exact)).toBe(4);
    const coarse = unifiedDiff(a, b, { stepBudget: 0 });
    expect(changed(coarse)).toBe(2 * 101); // lines 51 to 151 removed and added again
    expect(applyDiff(a, coarse)).toBe(b);
  });
});
