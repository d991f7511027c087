// The dry-run diff on large inputs (security review C2) against validating the real control-plane
// config (which every apply does first), in the same process just before: time as a ratio to that
// baseline, and the peak memory each adds (VmHWM, reset before, minus VmRSS before). One process
// per case. Run: bun src/api/config/unified-diff.bench.ts [--cases name,name]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validateConfig } from "@bronze/config-schema";
import { unifiedDiff } from "./unified-diff.ts";

const testdata = join(import.meta.dir, "../../../../../libs/config-schema/testdata");
const CONTROLPLANE = readFileSync(join(testdata, "controlplane.yaml"), "utf8");
const WORKER = readFileSync(join(testdata, "worker.yaml"), "utf8");
const MiB = 1024 * 1024;
const numbered = (prefix: string, n: number) =>
  `${Array.from({ length: n }, (_, i) => `${prefix}${i}: value`).join("\n")}\n`;

const CASES: Record<string, { what: string; inputs: () => [string, string] }> = {
  comments6k: {
    what: "worker config + 6,000 comment lines (review)",
    inputs: () => [WORKER, `${WORKER}${"# comment\n".repeat(6000)}`],
  },
  added4k: { what: "nothing -> 4,000 lines (review)", inputs: () => ["", numbered("k", 4000)] },
  added40k: { what: "nothing -> 40,000 lines (maintenance mode)", inputs: () => ["", numbered("k", 40_000)] },
  replaced20k: {
    what: "20,000 lines -> 20,000 other lines",
    inputs: () => [numbered("old", 20_000), numbered("new", 20_000)],
  },
  alternate40k: {
    what: "40,000 lines, every other one changed",
    inputs: () => {
      const lines = numbered("k", 40_000).split("\n");
      return [lines.join("\n"), lines.map((l, i) => (i % 2 && l ? `${l} changed` : l)).join("\n")];
    },
  },
};

function status(field: "VmRSS" | "VmHWM"): number {
  const line = readFileSync("/proc/self/status", "utf8").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  return Number(line?.[1] ?? 0) * 1024;
}

/** ms per call: the median of calls repeated for `budgetMs` (at least one). */
function time(run: () => void, budgetMs: number): number {
  const samples: number[] = [];
  const end = performance.now() + budgetMs;
  do {
    const t0 = performance.now();
    run();
    samples.push(performance.now() - t0);
  } while (performance.now() < end && samples.length < 200);
  return samples.sort((a, b) => a - b)[samples.length >> 1] as number;
}

function child(name: string): void {
  const spec = CASES[name];
  if (!spec) throw new Error(`unknown case ${name}`);
  const [a, b] = spec.inputs();
  const validate = () => validateConfig(CONTROLPLANE, { mode: "metal" });
  time(validate, 300); // warm up
  const baseline = time(validate, 500);
  time(() => unifiedDiff(CONTROLPLANE, CONTROLPLANE.replace("cp-1", "cp-2")), 200);
  Bun.gc(true);
  const rssBefore = status("VmRSS");
  Bun.write("/proc/self/clear_refs", "5"); // resets VmHWM to the current RSS
  const diff = unifiedDiff(a, b);
  const peak = status("VmHWM") - rssBefore;
  const ms = time(() => unifiedDiff(a, b), 2000);
  const changed = diff.split("\n").filter((l) => /^[-+](?![-+]{2} )/.test(l)).length;
  console.log(
    JSON.stringify({
      name,
      lines: a.split("\n").length + b.split("\n").length - 2,
      ms,
      baseline,
      peak,
      changed,
    }),
  );
}

function parent(names: string[]): void {
  console.log(`Bun ${Bun.version}; baseline: validating testdata/controlplane.yaml`);
  const rows = [["case", "lines in", "ms", "baseline ms", "x baseline", "peak +MiB", "lines changed"]];
  for (const name of names) {
    const proc = Bun.spawnSync([process.execPath, import.meta.path, "--child", name], { stderr: "inherit" });
    const r = JSON.parse(proc.stdout.toString().trim().split("\n").at(-1) ?? "{}");
    rows.push([
      CASES[name]?.what ?? name,
      r.lines.toLocaleString("en-US"),
      r.ms.toFixed(1),
      r.baseline.toFixed(2),
      (r.ms / r.baseline).toFixed(1),
      (r.peak / MiB).toFixed(0),
      r.changed.toLocaleString("en-US"),
    ]);
  }
  const widths = (rows[0] as string[]).map((_, c) =>
    Math.max(...rows.map((row) => (row[c] as string).length)),
  );
  for (const row of rows)
    console.log(
      row
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number)))
        .join("  "),
    );
}

const args = process.argv.slice(2);
if (args[0] === "--child") child(args[1] as string);
else parent(args[0] === "--cases" ? (args[1] as string).split(",") : Object.keys(CASES));
