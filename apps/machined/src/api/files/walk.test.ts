import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { walk } from "./walk.ts";

const root = mkdtempSync(join(tmpdir(), "bronze-walk-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, "a", "b", "c"), { recursive: true });
writeFileSync(join(root, "a", "b", "c", "deep.txt"), "x");
writeFileSync(join(root, "z.txt"), "zz");
symlinkSync("/etc", join(root, "etc-link"));

async function names(maxDepth: number) {
  const out: string[] = [];
  for await (const e of walk(root, "/srv", maxDepth)) out.push(`${e.depth}:${e.relative}:${e.visible}`);
  return out;
}

test("depth 1 lists the root and its entries in name order", async () => {
  expect(await names(1)).toEqual([
    "0:.:/srv",
    "1:a:/srv/a",
    "1:etc-link:/srv/etc-link",
    "1:z.txt:/srv/z.txt",
  ]);
});

test("unlimited depth reaches every level and does not follow symlinks", async () => {
  const all = await names(Number.POSITIVE_INFINITY);
  expect(all).toContain("4:a/b/c/deep.txt:/srv/a/b/c/deep.txt");
  expect(all.some((n) => n.includes("etc-link/"))).toBe(false);
  const entries = [];
  for await (const e of walk(root, "/srv", 1)) entries.push(e);
  const link = entries.find((e) => e.relative === "etc-link");
  expect(link?.linkTarget).toBe("/etc");
  expect(link?.stats?.isSymbolicLink()).toBe(true);
});

test("depth 0 yields the root only; a missing root throws", async () => {
  expect(await names(0)).toEqual(["0:.:/srv"]);
  await expect(walk(join(root, "missing"), "/missing", 1).next()).rejects.toThrow(/ENOENT/);
});
