// Loops over testdata/: the valid configs must validate cleanly; every broken/*.yaml must report
// exactly the errors (and warnings) listed in its sibling *.expected.json.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import type { ConfigIssue, Mode } from "../src/types.ts";
import { validateConfig } from "../src/validate.ts";

const TESTDATA = new URL("../testdata/", import.meta.url);
const BROKEN = new URL("broken/", TESTDATA);

interface Expected {
  mode: Mode;
  strict?: boolean;
  errors: { path: string; line: number; column: number; code: string; document?: number }[];
  warnings?: Expected["errors"];
}

const pick = (i: ConfigIssue) => ({
  path: i.path,
  line: i.line,
  column: i.column,
  code: i.code,
  ...(i.document ? { document: i.document } : {}),
});

describe("valid corpus configs", () => {
  test.each(["controlplane.yaml", "worker.yaml"])("%s is valid, strictly, on metal and qemu", (file) => {
    const text = readFileSync(new URL(file, TESTDATA), "utf8");
    for (const mode of ["metal", "qemu"] as const) {
      const result = validateConfig(text, { mode, strict: true });
      expect(result.errors).toEqual([]);
      expect(result.ok).toBe(true);
    }
  });
});

const cases = readdirSync(BROKEN)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

test("the corpus has at least 12 broken configs, each with expectations", () => {
  expect(cases.length).toBeGreaterThanOrEqual(12);
  for (const file of cases) expect(readdirSync(BROKEN)).toContain(file.replace(/\.yaml$/, ".expected.json"));
});

describe("broken corpus configs", () => {
  test.each(cases)("%s", (file) => {
    const text = readFileSync(new URL(file, BROKEN), "utf8");
    const expected = JSON.parse(
      readFileSync(new URL(file.replace(/\.yaml$/, ".expected.json"), BROKEN), "utf8"),
    ) as Expected;
    const result = validateConfig(text, { mode: expected.mode, strict: expected.strict ?? false });
    expect(result.ok).toBe(false);
    expect(expected.errors.length).toBeGreaterThan(0);
    expect(result.errors.map(pick)).toEqual(expected.errors);
    expect(result.warnings.map(pick)).toEqual(expected.warnings ?? []);
    // every issue has a real position and message
    for (const issue of [...result.errors, ...result.warnings]) {
      expect(issue.line).toBeGreaterThan(0);
      expect(issue.column).toBeGreaterThan(0);
      expect(issue.message.length).toBeGreaterThan(5);
    }
  });
});
