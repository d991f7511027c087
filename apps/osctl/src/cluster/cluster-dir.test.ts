import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClusterDir } from "./cluster-dir.ts";
import { clusterDir } from "./cluster-state.ts";

const home = mkdtempSync(join(tmpdir(), "osctl-cluster-dir-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

test("a fresh directory: leftovers of a failed create removed, configs/ private", () => {
  const dir = clusterDir(home, "demo");
  mkdirSync(join(dir, "demo-worker-1"), { recursive: true });
  writeFileSync(join(dir, "demo-worker-1", "serial.log"), "old");
  const dirs = createClusterDir(home, "demo");
  expect(dirs).toEqual({ dir, generated: join(dir, "generated"), configs: join(dir, "configs") });
  expect(existsSync(join(dir, "demo-worker-1"))).toBe(false);
  expect(statSync(dirs.configs).mode & 0o777).toBe(0o700);
});

test("a cluster with a state is refused and left as it is", () => {
  const dir = clusterDir(home, "running");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "state.json"), "{}");
  expect(() => createClusterDir(home, "running")).toThrow(
    expect.objectContaining({
      code: "exists",
      message: `cluster "running" exists (${dir}); remove it with \`osctl cluster destroy --name running\``,
    }),
  );
  expect(existsSync(join(dir, "state.json"))).toBe(true);
});
