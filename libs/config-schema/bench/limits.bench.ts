// The cost of hostile configs (security review C2) against validating the real control-plane config
// in the same process, just before: time as a ratio to that baseline, and the peak memory each one
// adds (VmHWM after it, reset before it, minus VmRSS before it). Each case runs in its own process.
// Run: bun bench/limits.bench.ts [--cases name,name]
import { readFileSync } from "node:fs";
import { validateConfig } from "../src/validate.ts";

const testdata = (name: string) => readFileSync(new URL(`../testdata/${name}`, import.meta.url), "utf8");
const CONTROLPLANE = testdata("controlplane.yaml");
const WORKER = testdata("worker.yaml");
const MiB = 1024 * 1024;

const withMachine = (extra: string) => WORKER.replace(/^machine:\n/m, `machine:\n${extra}`);
const CASES: Record<string, { what: string; text: () => string }> = {
  files4k: {
    what: "machine.files: [{},{},…] 4,000 entries (review)",
    text: () => withMachine(`  files: [${Array(4000).fill("{}").join(",")}]\n`),
  },
  comments6k: {
    what: "6,000 comment lines (review)",
    text: () => `${WORKER}${"# comment line\n".repeat(6000)}`,
  },
  docs100k: { what: "100k empty documents (review)", text: () => `${WORKER}${"---\n".repeat(100_000)}` },
  docs8m: {
    what: "8 MiB of empty documents (review)",
    text: () => `${WORKER}${"---\n".repeat((8 * MiB) / 4)}`,
  },
  flow1m: {
    what: "1 MiB on one line: [{},{},…] (node limit)",
    text: () =>
      withMachine(
        `  files: [${Array(Math.floor(MiB / 3) - 4000)
          .fill("{}")
          .join(",")}]\n`,
      ),
  },
  files9k: {
    what: "9,900 × {} (just under the node limit)",
    text: () => withMachine(`  files: [${Array(9900).fill("{}").join(",")}]\n`),
  },
  sysctls5k: {
    what: "4,900 sysctls (the node limit; a valid config)",
    text: () =>
      withMachine(
        `  sysctls:\n${Array.from({ length: 4900 }, (_, i) => `    net.bench.k${i}: "${i}"\n`).join("")}`,
      ),
  },
};

function status(field: "VmRSS" | "VmHWM"): number {
  const line = readFileSync("/proc/self/status", "utf8").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  return Number(line?.[1] ?? 0) * 1024;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] as number;
}

/** ms per call: repeated for at least `budgetMs` (at least once), median of the calls. */
function time(run: () => void, budgetMs: number): number {
  const samples: number[] = [];
  const end = performance.now() + budgetMs;
  do {
    const t0 = performance.now();
    run();
    samples.push(performance.now() - t0);
  } while (performance.now() < end && samples.length < 200);
  return median(samples);
}

function child(name: string): void {
  const spec = CASES[name];
  if (!spec) throw new Error(`unknown case ${name}`);
  const text = spec.text();
  time(() => validateConfig(CONTROLPLANE, { mode: "metal" }), 300); // warm up
  const baseline = time(() => validateConfig(CONTROLPLANE, { mode: "metal" }), 500);
  Bun.gc(true);
  const rssBefore = status("VmRSS");
  Bun.write("/proc/self/clear_refs", "5"); // resets VmHWM to the current RSS
  const result = validateConfig(text, { mode: "metal" });
  const peak = status("VmHWM") - rssBefore;
  // Warm: an attacker can send it again and again.
  const ms = time(() => validateConfig(text, { mode: "metal" }), 2000);
  const codes = [...new Set(result.errors.map((e) => e.code))].slice(0, 3).join(",");
  console.log(
    JSON.stringify({
      name,
      bytes: Buffer.byteLength(text),
      ms,
      baseline,
      peak,
      errors: result.errors.length,
      codes,
    }),
  );
}

async function parent(names: string[]): Promise<void> {
  console.log(
    `Bun ${Bun.version}; baseline: validating testdata/controlplane.yaml (${CONTROLPLANE.length} bytes)`,
  );
  const rows: string[][] = [
    ["case", "bytes", "ms", "baseline ms", "x baseline", "peak +MiB", "errors (codes)"],
  ];
  for (const name of names) {
    const proc = Bun.spawnSync([process.execPath, import.meta.path, "--child", name], { stderr: "inherit" });
    const r = JSON.parse(proc.stdout.toString().trim().split("\n").at(-1) ?? "{}");
    rows.push([
      CASES[name]?.what ?? name,
      r.bytes.toLocaleString("en-US"),
      r.ms.toFixed(1),
      r.baseline.toFixed(2),
      (r.ms / r.baseline).toFixed(1),
      (r.peak / MiB).toFixed(0),
      `${r.errors} (${r.codes})`,
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
else await parent(args[0] === "--cases" ? (args[1] as string).split(",") : Object.keys(CASES));
