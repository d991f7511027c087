import { afterEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigStore } from "./config-store.ts";
import { revertInterruptedTrial } from "./interrupted-trial.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function store(): ConfigStore {
  const dir = mkdtempSync(join(tmpdir(), "trial-"));
  dirs.push(dir);
  return new ConfigStore(dir);
}

test("an unconfirmed trial found at startup is reverted, and said so", () => {
  const s = store();
  s.save("old");
  s.saveForTrial("new");
  const lines: string[] = [];
  expect(revertInterruptedTrial(s, (l) => lines.push(l))).toBe(true);
  expect(s.current()).toBe("old");
  expect(existsSync(s.previousPath)).toBe(false);
  expect(lines).toEqual([
    "config: a config on trial was never confirmed: the previous config is back in force",
  ]);
});

test("no trial: nothing changes, nothing is logged", () => {
  const s = store();
  s.save("current");
  const lines: string[] = [];
  expect(revertInterruptedTrial(s, (l) => lines.push(l))).toBe(false);
  expect(s.current()).toBe("current");
  expect(lines).toEqual([]);
});
