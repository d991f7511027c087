import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { MACHINED_MAIN, OSCTL_MAIN, REPO_ROOT } from "./repo-root.ts";

test("the paths name the real entry points of the monorepo", () => {
  expect(existsSync(join(REPO_ROOT, "turbo.json"))).toBe(true);
  expect(existsSync(OSCTL_MAIN)).toBe(true);
  expect(existsSync(MACHINED_MAIN)).toBe(true);
});
