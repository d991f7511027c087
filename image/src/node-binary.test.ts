import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { compileNodeBinary, NODE_BINARY_WORKERS, nodeBinaryEntries } from "./node-binary.ts";

const REPO = join(import.meta.dir, "../..");
const MACHINED_MAIN = "apps/machined/src/main.ts";

test("the node binary's entries: machined's main, then the workers beside it", () => {
  expect(nodeBinaryEntries(join(REPO, MACHINED_MAIN)).map((p) => relative(REPO, p))).toEqual([
    MACHINED_MAIN,
    "apps/machined/src/config/config-worker.ts",
  ]);
  for (const entry of nodeBinaryEntries(join(REPO, MACHINED_MAIN)))
    expect(Bun.file(entry).size).toBeGreaterThan(0);
});

test("`bun run build:node` compiles, with the image's own command line, a binary that runs its applets", () => {
  const scripts = (
    JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { scripts: Record<string, string> }
  ).scripts;
  expect(scripts["build:node"]).toBe("bun image/scripts/build-node.ts");
  const dir = mkdtempSync(join(tmpdir(), "build-node-"));
  try {
    const build = Bun.spawnSync(["bun", "image/scripts/build-node.ts", join(dir, "bronze")], {
      cwd: REPO,
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(build.exitCode, build.stderr.toString()).toBe(0);
    // the multi-call binary becomes what it is started as
    symlinkSync(join(dir, "bronze"), join(dir, "apid"));
    const apid = Bun.spawnSync([join(dir, "apid"), "--help"], { stdout: "pipe", stderr: "pipe" });
    expect(apid.exitCode).toBe(0);
    expect(apid.stdout.toString()).toContain("usage: apid");
    // machined's config worker is embedded where machined looks for it
    expect(readFileSync(join(dir, "bronze")).includes("config/config-worker.js")).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

test("an entry without the workers beside it (a stand-in init) is compiled alone; with them, with them", async () => {
  const dir = mkdtempSync(join(tmpdir(), "node-binary-"));
  try {
    writeFileSync(join(dir, "main.ts"), "");
    const ran: (readonly string[])[] = [];
    const run = async (argv: readonly string[]) => {
      ran.push(argv);
      return "";
    };
    expect(await compileNodeBinary(run, join(dir, "main.ts"), dir)).toBe(join(dir, "bronze"));
    expect(ran[0]?.filter((a) => a.endsWith(".ts"))).toEqual([join(dir, "main.ts")]);
    mkdirSync(join(dir, "config"));
    writeFileSync(join(dir, NODE_BINARY_WORKERS[0] as string), "");
    await compileNodeBinary(run, join(dir, "main.ts"), dir);
    expect(ran[1]?.filter((a) => a.endsWith(".ts"))).toEqual([
      join(dir, "main.ts"),
      join(dir, "config/config-worker.ts"),
    ]);
    await expect(compileNodeBinary(run, join(dir, "missing.ts"), dir)).rejects.toThrow(
      `node entry point ${join(dir, "missing.ts")} does not exist`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
