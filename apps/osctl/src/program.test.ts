import { afterAll, expect, test } from "bun:test";
import type { Command } from "commander";
import { COMMAND_INDEX } from "./gen/command-index.ts";
import { StandInInvoked } from "./program/stand-in.ts";
import { buildProgram } from "./program.ts";
import { createTestIo, type TestIo } from "./testing/test-io.ts";

const ios: TestIo[] = [];
afterAll(() => {
  for (const io of ios) io.cleanup();
});

/** Parses args on a fresh tree (lazy for `args`, whole without) and returns what it printed. */
async function run(args: string[], tree: "lazy" | "whole", columns = 80) {
  const io = { ...createTestIo(), columns: () => columns } as TestIo;
  ios.push(io);
  const program = buildProgram(io, () => {}, tree === "lazy" ? args : undefined);
  let thrown: unknown;
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    thrown = error;
  }
  return { out: io.out.join(""), err: io.err.join(""), program, thrown };
}

test("the root's help from stand-ins is the whole tree's, byte for byte, at any width", async () => {
  for (const columns of [50, 80, 200]) {
    const lazy = await run(["--help"], "lazy", columns);
    const whole = await run(["--help"], "whole", columns);
    expect(lazy.out.length).toBeGreaterThan(1000);
    expect(lazy.out).toBe(whole.out);
  }
});

test("the root's usage errors and suggestions are the whole tree's", async () => {
  for (const args of [["servics"], ["frobnicate"], ["--bogus"], [], ["--timeout", "nonsense", "services"]]) {
    const lazy = await run(args, "lazy");
    const whole = await run(args, "whole");
    expect({ args, err: lazy.err, out: lazy.out }).toEqual({ args, err: whole.err, out: whole.out });
  }
  expect((await run(["servics"], "lazy")).err).toContain("(Did you mean one of service, services?)");
});

test("a run builds only the invoked command's group", async () => {
  const { program } = await run(["etcd", "--help"], "lazy");
  const withOptions = (c: Command) => c.commands.length > 0 || c.options.length > 0;
  const real = program.commands.filter(withOptions).map((c) => c.name());
  expect(real).toEqual(["bootstrap", "etcd"]);
  expect(program.commands.map((c) => c.name())).toEqual(COMMAND_INDEX.map((e) => e.name));
});

test("each command's help is the same from the lazy tree as from the whole", async () => {
  for (const entry of COMMAND_INDEX) {
    const lazy = await run([entry.name, "--help"], "lazy");
    const whole = await run([entry.name, "--help"], "whole");
    expect({ command: entry.name, out: lazy.out }).toEqual({ command: entry.name, out: whole.out });
    expect(lazy.out).toContain(`Usage: osctl ${entry.name}`);
  }
});

test("a stand-in never runs: it throws StandInInvoked, whatever its flags", async () => {
  const io = createTestIo();
  ios.push(io);
  for (const args of [["services"], ["services", "--help"], ["logs", "-f", "--bogus", "x", "y"]]) {
    const program = buildProgram(io, () => {}, ["version"]);
    await expect(program.parseAsync(args, { from: "user" })).rejects.toBeInstanceOf(StandInInvoked);
  }
});
