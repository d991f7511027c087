import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig } from "@bronze/config-schema";
import { runOsctl } from "../run-osctl.ts";
import { benignMutation, MUTATION_KINDS, mutateConfig } from "./config-mutations.ts";
import { seededRandom } from "./seeded-random.ts";

const dir = mkdtempSync(join(tmpdir(), "config-mutations-"));
let original = "";
beforeAll(async () => {
  const gen = await runOsctl(["gen", "config", "fuzz", "https://127.0.0.1:6443", "-o", dir]);
  if (gen.code !== 0) throw new Error(gen.stderr);
  original = readFileSync(join(dir, "controlplane.yaml"), "utf8");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the same seed mutates the same way; every kind of mutation comes up", () => {
  const a = seededRandom(1);
  const b = seededRandom(1);
  const seen = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    const x = mutateConfig(original, a);
    const y = mutateConfig(original, b);
    expect(y.kinds).toEqual(x.kinds);
    expect(Buffer.from(y.data).equals(Buffer.from(x.data))).toBe(true);
    for (const k of x.kinds) seen.add(k);
  }
  expect([...seen].sort()).toEqual([...MUTATION_KINDS].sort());
});

test("mutations change the config, and most of them make it invalid", () => {
  const r = seededRandom(2);
  let changed = 0;
  let invalid = 0;
  for (let i = 0; i < 300; i++) {
    const m = mutateConfig(original, r);
    const text = new TextDecoder().decode(m.data);
    if (text !== original) changed++;
    if (!validateConfig(text, { mode: "container" }).ok) invalid++;
  }
  expect(changed).toBeGreaterThan(280);
  expect(invalid).toBeGreaterThan(150);
});

test("benign mutations keep the config valid in container mode, and change it", () => {
  const r = seededRandom(3);
  const kinds = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const m = benignMutation(original, r);
    kinds.add(m.kind);
    expect(m.text).not.toBe(original);
    const result = validateConfig(m.text, { mode: "container" });
    expect({ kind: m.kind, errors: result.errors }).toEqual({ kind: m.kind, errors: [] });
  }
  expect(kinds.size).toBe(4);
});
