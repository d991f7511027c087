import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileNodeBinary, NODE_BINARY_WORKERS, nodeBinaryEntries } from "./node-binary.ts";

const REPO = join(import.meta.dir, "../..");
const MACHINED_MAIN = "apps/machined/src/main.ts";

test("the node binary's entries: machined's main, then the workers beside it", () => {
  expect(nodeBinaryEntries(MACHINED_MAIN)).toEqual([
    MACHINED_MAIN,
    "apps/machined/src/config/config-worker.ts",
  ]);
  for (const entry of nodeBinaryEntries(join(REPO, MACHINED_MAIN)))
    expect(Bun.file(entry).size).toBeGreaterThan(0);
});

test("`bun run build:node` compiles the same entries as the image build", () => {
  const scripts = (
    JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { scripts: Record<string, string> }
  ).scripts;
  const argv = (scripts["build:node"] ?? "").split(/\s+/);
  const entries = argv.filter((arg) => arg.endsWith(".ts"));
  expect(entries).toEqual(nodeBinaryEntries(MACHINED_MAIN));
});

test("a missing worker entry point is reported before compiling", async () => {
  const dir = mkdtempSync(join(tmpdir(), "node-binary-"));
  try {
    writeFileSync(join(dir, "main.ts"), "");
    const ran: (readonly string[])[] = [];
    const run = async (argv: readonly string[]) => {
      ran.push(argv);
      return "";
    };
    await expect(compileNodeBinary(run, join(dir, "main.ts"), dir)).rejects.toThrow(
      `the node binary's worker entry point ${join(dir, NODE_BINARY_WORKERS[0] as string)} does not exist`,
    );
    expect(ran).toEqual([]);
    mkdirSync(join(dir, "config"));
    writeFileSync(join(dir, "config/config-worker.ts"), "");
    expect(await compileNodeBinary(run, join(dir, "main.ts"), dir)).toBe(join(dir, "bronze"));
    expect(ran).toHaveLength(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
