import { expect, test } from "bun:test";
import { join } from "node:path";
import { terminalColumns } from "./terminal-width.ts";

const probe = `import { terminalColumns } from ${JSON.stringify(join(import.meta.dir, "terminal-width.ts"))};
console.log(JSON.stringify({ columns: terminalColumns(1) ?? null }));`;

/** Runs the probe with its stdout on a pseudo-terminal of the given width (util-linux's script). */
function columnsOnTerminal(columns: number): number | null {
  const command = `stty cols ${columns} rows 40; ${process.execPath} -e '${probe}'`;
  const proc = Bun.spawnSync(["script", "-qec", command, "/dev/null"], { stdout: "pipe", stderr: "pipe" });
  const line = proc.stdout.toString().match(/\{"columns":[^}]*\}/)?.[0];
  if (!line) throw new Error(`no answer from the probe: ${proc.stdout} ${proc.stderr}`);
  return JSON.parse(line).columns;
}

test("a terminal's width comes from the kernel", () => {
  expect(columnsOnTerminal(123)).toBe(123);
  expect(columnsOnTerminal(57)).toBe(57);
});

test("no width when the output is not a terminal", () => {
  const proc = Bun.spawnSync([process.execPath, "-e", probe], { stdout: "pipe" });
  expect(JSON.parse(proc.stdout.toString())).toEqual({ columns: null });
  expect(terminalColumns(-1)).toBeUndefined();
});
