import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deferImports, deferredBuiltinModule, lazyBuiltinsForCommander } from "./lazy-builtins.ts";

const dir = mkdtempSync(join(tmpdir(), "lazy-builtins-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the deferred built-ins' imports are redirected, the others left alone", () => {
  const source = [
    "import { EventEmitter } from 'node:events';",
    "import childProcess from 'node:child_process';",
    'import path from "node:path";',
    "import { stripVTControlCharacters } from 'node:util';",
  ].join("\n");
  expect(deferImports(source)).toBe(
    [
      "import { EventEmitter } from 'node:events';",
      "import childProcess from 'deferred-builtin:node:child_process';",
      'import path from "deferred-builtin:node:path";',
      "import { stripVTControlCharacters } from 'deferred-builtin:node:util';",
    ].join("\n"),
  );
  expect(() => deferredBuiltinModule("node:events")).toThrow("node:events is not a deferred built-in");
});

test("a deferring module answers like the built-in", async () => {
  const file = join(dir, "util.mjs");
  writeFileSync(file, deferredBuiltinModule("node:util"));
  const util = await import(file);
  expect(util.stripVTControlCharacters("\x1b[31mred\x1b[0m")).toBe("red");
  expect(util.default.format("%d apples", 3)).toBe("3 apples");
});

test("commander bundled with the plugin imports the deferred built-ins nowhere, and works", async () => {
  const entry = join(dir, "entry.ts");
  writeFileSync(
    entry,
    `import { Command } from ${JSON.stringify(require.resolve("commander"))};\nexport const help = () => new Command("x").option("--y").command("z").description("zed").parent?.helpInformation();\n`,
  );
  const result = await Bun.build({
    entrypoints: [entry],
    outdir: join(dir, "out"),
    target: "bun",
    format: "esm",
    plugins: [lazyBuiltinsForCommander],
  });
  expect(result.success).toBe(true);
  const bundle = readdirSync(join(dir, "out"))
    .map((f) => readFileSync(join(dir, "out", f), "utf8"))
    .join("");
  expect(bundle).not.toMatch(/from\s*"(node:)?(child_process|util)"/);
  expect(bundle).toContain("getBuiltinModule");
  const { help } = await import(join(dir, "out", "entry.js"));
  expect(help()).toMatch(/\n {2}z +zed\n/);
});

test("commander's sources still import what the plugin defers", () => {
  for (const file of ["lib/command.js", "lib/help.js"]) {
    const source = readFileSync(join(require.resolve("commander"), "..", file), "utf8");
    expect({ file, changed: deferImports(source) !== source }).toEqual({ file, changed: true });
  }
});
