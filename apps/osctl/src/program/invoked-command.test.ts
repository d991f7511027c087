import { afterAll, expect, test } from "bun:test";
import type { Command } from "commander";
import { COMMAND_INDEX } from "../gen/command-index.ts";
import { buildProgram } from "../program.ts";
import { createTestIo } from "../testing/test-io.ts";
import { invokedCommandName } from "./invoked-command.ts";

const io = createTestIo();
afterAll(() => io.cleanup());

const root = () => buildProgram(io, () => {}, []);

test("the first operand after the root's flags and their values is the command", () => {
  expect(invokedCommandName(root(), ["services"])).toBe("services");
  expect(invokedCommandName(root(), ["-n", "10.5.0.2", "logs", "machined"])).toBe("logs");
  expect(invokedCommandName(root(), ["-n10.5.0.2", "logs"])).toBe("logs");
  expect(invokedCommandName(root(), ["--nodes=10.5.0.2", "--timeout", "5s", "etcd", "members"])).toBe("etcd");
  expect(invokedCommandName(root(), ["--osconfig", "services", "version"])).toBe("version");
  expect(invokedCommandName(root(), ["--", "services"])).toBe("services");
});

test("no command when commander would not dispatch one", () => {
  expect(invokedCommandName(root(), [])).toBeUndefined();
  expect(invokedCommandName(root(), ["--help", "services"])).toBeUndefined();
  expect(invokedCommandName(root(), ["--bogus", "services"])).toBeUndefined();
  expect(invokedCommandName(root(), ["--version"])).toBeUndefined();
  expect(invokedCommandName(root(), ["--version=1", "services"])).toBeUndefined();
  expect(invokedCommandName(root(), ["--timeout"])).toBeUndefined();
});

/** The top-level command commander itself dispatches to with the whole tree, if any. */
function dispatchedByCommander(args: string[]): string | undefined {
  let dispatched: string | undefined;
  const stop = new Error("stop");
  const program = buildProgram(io, () => {}).hook("preSubcommand", (_root: Command, sub: Command) => {
    dispatched = sub.name();
    throw stop;
  });
  try {
    program.parse(args, { from: "user" });
  } catch {}
  return dispatched;
}

test("agrees with commander's own dispatch on the whole tree", () => {
  const known = (name: string | undefined) =>
    COMMAND_INDEX.find((e) => e.name === name || e.aliases.includes(name ?? ""))?.name;
  const cases = [
    ["services"],
    ["ps", "-k"],
    ["-n", "10.5.0.2", "services"],
    ["-n10.5.0.2", "services"],
    ["--nodes=10.5.0.2", "logs", "machined"],
    ["--timeout", "5s", "-e", "a,b", "etcd", "members"],
    ["--context", "x", "--osconfig", "p", "gen", "config", "c", "https://1.2.3.4:6443"],
    ["--osconfig", "services", "version"],
    ["--", "services"],
    ["--version"],
    ["--help", "services"],
    ["--bogus", "services"],
    ["frobnicate"],
    [],
  ];
  for (const args of cases) {
    expect({ args, command: known(invokedCommandName(root(), args)) }).toEqual({
      args,
      command: known(dispatchedByCommander(args)),
    });
  }
});
