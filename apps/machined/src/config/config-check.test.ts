import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { redactConfig, validateConfig } from "@bronze/config-schema";
import { runConfigCheck } from "./config-check.ts";
import { unifiedDiff } from "./unified-diff.ts";

const TESTDATA = join(import.meta.dir, "../../../../libs/config-schema/testdata");
const WORKER = readFileSync(join(TESTDATA, "worker.yaml"), "utf8");

test("a validation: validateConfig's verdict, config and issues, without the parsed documents", () => {
  const full = validateConfig(WORKER, { mode: "container" });
  const checked = runConfigCheck({ kind: "validate", text: WORKER, mode: "container" });
  expect(checked).toEqual({
    ok: true,
    config: full.config,
    errors: [],
    warnings: full.warnings,
    errorCount: 0,
  });
  const bad = runConfigCheck({
    kind: "validate",
    text: "version: v1alpha1\nmachine:\n  type: teapot\n",
    mode: "metal",
  });
  expect(bad.ok).toBe(false);
  expect(bad).not.toHaveProperty("config");
  expect(bad.errors.some((i) => i.path === "machine.type")).toBe(true);
});

test("what crosses to the worker and back is structured-clonable, and unchanged by the crossing", () => {
  const validation = runConfigCheck({ kind: "validate", text: WORKER, mode: "container" });
  expect(structuredClone(validation)).toEqual(validation);
  const files = WORKER.replace(/^machine:\n/m, "machine:\n  files: [{}]\n");
  const issues = runConfigCheck({ kind: "validate", text: files, mode: "container" });
  expect(structuredClone(issues)).toEqual(issues);
});

test("a diff: unifiedDiff's, with the names asked for", () => {
  const renamed = WORKER.replace("hostname: worker-1", "hostname: worker-2");
  expect(runConfigCheck({ kind: "diff", base: WORKER, text: renamed, from: "staged", to: "new" })).toBe(
    unifiedDiff(WORKER, renamed, { from: "staged", to: "new" }),
  );
});

test("a redaction: redactConfig's text, and its error", () => {
  expect(runConfigCheck({ kind: "redact", text: WORKER })).toBe(redactConfig(WORKER));
  expect(() => runConfigCheck({ kind: "redact", text: "a: [" })).toThrow("it is not redacted");
});
