import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { checkBoundaries, findImports, readPackages } from "./check-boundaries.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const pkg = (name: string, extra: Record<string, unknown> = {}) => JSON.stringify({ name, ...extra });

/** A small repository: machined, apid, osctl; libs x (with a testing export) and y; tests/e2e. */
const BASE: Record<string, string> = {
  "package.json": JSON.stringify({ name: "repo", workspaces: ["apps/*", "libs/*", "tests/e2e"] }),
  "apps/machined/package.json": pkg("@bronze/machined", { dependencies: { "@bronze/x": "workspace:*" } }),
  "apps/apid/package.json": pkg("@bronze/apid"),
  "apps/apid/src/main.ts": "export const main = 1;\n",
  "apps/osctl/package.json": pkg("@bronze/osctl", { dependencies: { "@bronze/x": "workspace:*" } }),
  "libs/x/package.json": pkg("@bronze/x", {
    exports: { ".": "./src/index.ts", "./testing": "./src/testing/index.ts" },
  }),
  "libs/x/src/index.ts": 'export { inner } from "./inner.ts";\n',
  "libs/x/src/inner.ts": "export const inner = 1;\n",
  "libs/x/src/testing/index.ts": "export const harness = 1;\n",
  "libs/y/package.json": pkg("@bronze/y", { exports: { ".": "./src/index.ts" } }),
  "libs/y/src/index.ts": "export const y = 1;\n",
  "tests/e2e/package.json": pkg("@bronze/e2e", { dependencies: { "@bronze/x": "workspace:*" } }),
};

function check(files: Record<string, string>, knownCycles: string[][] = []) {
  const root = mkdtempSync(join(tmpdir(), "boundaries-"));
  dirs.push(root);
  const all = { ...BASE, ...files };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const sources = Object.keys(all).filter((f) => f.endsWith(".ts"));
  const result = checkBoundaries(
    { root, packages: readPackages(root), files: sources, read: (f) => readFileSync(join(root, f), "utf8") },
    knownCycles,
  );
  return {
    ...result,
    lines: result.violations.map((v) => `${v.file}:${v.line}: ${v.message}`),
  };
}

describe("check-boundaries", () => {
  test("what the layering allows passes", () => {
    const { violations, notes } = check({
      "apps/machined/src/main.ts":
        'const { main } = await import("../../apid/src/main.ts");\nexport { main };\n',
      "apps/machined/src/a.ts": 'import { inner } from "@bronze/x";\nimport type { B } from "./b.ts";\n',
      "apps/machined/src/b.ts": "export type B = 1;\n",
      "apps/osctl/src/x.test.ts": 'import { harness } from "@bronze/x/testing";\n',
      "tests/e2e/src/t.test.ts":
        'import { harness } from "@bronze/x/testing";\nimport { inner } from "@bronze/x";\n',
      "libs/x/src/uses-npm.ts": 'import { z } from "zod";\nimport { join } from "node:path";\n',
    });
    expect(violations).toEqual([]);
    expect(notes).toEqual([]);
  });

  test("apps never import each other, by path or by name, except the dispatcher's main imports", () => {
    const { lines } = check({
      "apps/machined/src/other.ts": 'import { main } from "../../apid/src/main.ts";\n',
      "apps/osctl/src/a.ts": '\nimport { main } from "@bronze/apid";\n',
    });
    expect(lines).toContain(
      'apps/machined/src/other.ts:1: imports "../../apid/src/main.ts": @bronze/apid\'s (apps/apid) internals by relative path; @bronze/apid exports nothing',
    );
    expect(lines).toContain("apps/machined/src/other.ts:1: an app imports another app (apps/apid)");
    expect(lines).toContain("apps/osctl/src/a.ts:2: an app imports another app (@bronze/apid)");
  });

  test("libs never import apps", () => {
    const { lines } = check({
      "libs/y/src/bad.ts":
        'import { main } from "@bronze/apid";\nimport type { M } from "../../../apps/apid/src/main.ts";\n',
    });
    expect(lines).toContain("libs/y/src/bad.ts:1: a lib imports an app (@bronze/apid)");
    expect(lines).toContain("libs/y/src/bad.ts:2: a lib imports an app (apps/apid)");
  });

  test("another package's internals only through its name and exports, type imports and tests included", () => {
    const { lines } = check({
      "apps/osctl/src/a.ts": 'import type { inner } from "../../../libs/x/src/inner.ts";\n',
      "apps/osctl/src/b.ts": 'import { inner } from "@bronze/x/src/inner.ts";\n',
      "apps/osctl/src/c.test.ts": 'import { inner } from "../../../libs/x/src/inner.ts";\n',
      "tests/e2e/src/t.ts": 'export type T = typeof import("../../../libs/x/src/inner.ts");\n',
    });
    expect(lines).toContain(
      'apps/osctl/src/a.ts:1: imports "../../../libs/x/src/inner.ts": @bronze/x\'s (libs/x) internals by relative path; import it through its exports: @bronze/x, @bronze/x/testing',
    );
    expect(lines).toContain(
      'apps/osctl/src/b.ts:1: imports "@bronze/x/src/inner.ts", which @bronze/x does not export (its exports: @bronze/x, @bronze/x/testing)',
    );
    expect(lines.some((l) => l.startsWith("apps/osctl/src/c.test.ts:1: imports"))).toBe(true);
    expect(lines.some((l) => l.startsWith("tests/e2e/src/t.ts:1: imports"))).toBe(true);
    expect(lines).toHaveLength(4);
  });

  test("the root's files are internals too; imports leaving the repository are named", () => {
    const { lines } = check({
      "scripts/tool.ts": "export const tool = 1;\n",
      "libs/y/scripts/gen.ts":
        'import { tool } from "../../../scripts/tool.ts";\nimport "../../../../elsewhere.ts";\n',
    });
    expect(lines).toEqual([
      'libs/y/scripts/gen.ts:1: imports "../../../scripts/tool.ts": the repository root\'s internals by relative path; move what it needs into a lib',
      'libs/y/scripts/gen.ts:2: imports "../../../../elsewhere.ts", which is outside the repository',
    ]);
  });

  test("a package imports only the packages it declares", () => {
    const { lines } = check({ "apps/osctl/src/a.ts": 'import { y } from "@bronze/y";\n' });
    expect(lines).toEqual([
      "apps/osctl/src/a.ts:1: imports @bronze/y, which apps/osctl/package.json does not declare",
    ]);
  });

  test("test support is for tests, fixtures, benches and scripts, never product code", () => {
    const { lines } = check({
      "apps/osctl/src/a.ts": 'import { harness } from "@bronze/x/testing";\n',
      "apps/osctl/src/b-fixture.ts": 'import { harness } from "@bronze/x/testing";\n',
      "apps/osctl/bench/c.bench.ts": 'import { harness } from "@bronze/x/testing";\n',
      "apps/osctl/scripts/d.ts": 'import { harness } from "@bronze/x/testing";\n',
      "apps/osctl/src/testing/e.ts": 'import { harness } from "@bronze/x/testing";\n',
    });
    expect(lines).toEqual([
      "apps/osctl/src/a.ts:1: product code imports test support (@bronze/x/testing); only tests, fixtures, benches and scripts may",
    ]);
  });

  test("import loops through typeof import() or a dynamic import() are reported; Biome reports the others", () => {
    const { lines } = check({
      "apps/osctl/src/table.ts":
        'export type Table = { a: typeof import("./commands/a.ts") };\nexport const flag = 1;\n',
      "apps/osctl/src/commands/a.ts": 'import { flag } from "../table.ts";\n',
      "apps/osctl/src/lazy.ts": 'export const load = () => import("./lazy-target.ts");\n',
      "apps/osctl/src/lazy-target.ts": 'import { load } from "./lazy.ts";\n',
      "apps/osctl/src/static-a.ts": 'import { b } from "./static-b.ts";\nexport const a = 1;\n',
      "apps/osctl/src/static-b.ts": 'import { a } from "./static-a.ts";\nexport const b = 1;\n',
    });
    expect(lines).toContain(
      "apps/osctl/src/table.ts:1: import loop through import() (dynamic or typeof import, unseen by Biome): apps/osctl/src/table.ts -> apps/osctl/src/commands/a.ts -> apps/osctl/src/table.ts",
    );
    expect(lines.filter((l) => l.includes("lazy.ts -> apps/osctl/src/lazy-target.ts"))).toHaveLength(1);
    expect(lines.some((l) => l.includes("static-a"))).toBe(false);
    expect(lines).toHaveLength(2);
  });

  test("a known loop is a note while present, and a note asking to remove it once gone", () => {
    const files = {
      "apps/osctl/src/table.ts": 'export type T = typeof import("./cmd.ts");\n',
      "apps/osctl/src/cmd.ts": 'import type { T } from "./table.ts";\n',
    };
    const known = [["apps/osctl/src/cmd.ts", "apps/osctl/src/table.ts"]];
    const present = check(files, known);
    expect(present.violations).toEqual([]);
    expect(present.notes).toEqual([
      "known import loop, being fixed (KNOWN_CYCLES): apps/osctl/src/table.ts -> apps/osctl/src/cmd.ts -> apps/osctl/src/table.ts",
    ]);
    const gone = check({}, known);
    expect(gone.notes).toEqual([
      "KNOWN_CYCLES lists a loop that is gone; remove it: apps/osctl/src/cmd.ts -> apps/osctl/src/table.ts",
    ]);
  });
});

test("findImports: every kind of import, with its line and kind", () => {
  const text = [
    'import { a } from "./a.ts";',
    'import type { B } from "./b.ts";',
    'export { c } from "./c.ts";',
    'type D = typeof import("./d.ts");',
    'type E = import("./e.ts").E;',
    'const f = await import("./f.ts");',
    'const g = require("./g.ts");',
    'import "./h.ts";',
    'const s = `import { x } from "./not-an-import.ts"`;',
    '// import { y } from "./commented.ts";',
  ].join("\n");
  expect(findImports(text).map((i) => `${i.line} ${i.kind} ${i.specifier}`)).toEqual([
    "1 static ./a.ts",
    "2 static ./b.ts",
    "3 static ./c.ts",
    "4 type-import ./d.ts",
    "5 type-import ./e.ts",
    "6 dynamic ./f.ts",
    "7 require ./g.ts",
    "8 static ./h.ts",
  ]);
});
