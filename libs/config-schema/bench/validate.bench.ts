// Validation throughput of the valid control-plane testdata config versus parsing the same YAML
// with `yaml` alone (parseAllDocuments + toJS), measured in the same run, interleaved.
// Target: validation costs at most 3x the bare parse. Run: bun bench/validate.bench.ts
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { validateConfig } from "../src/validate.ts";
import { clearPemCache } from "../src/validators/pem.ts";

const TARGET_RATIO = 3;
const text = readFileSync(new URL("../testdata/controlplane.yaml", import.meta.url), "utf8");

interface Variant {
  name: string;
  run: () => void;
  iterations: number;
  ms: number;
  /** ms per config in each round */
  rounds: number[];
}

const bareParse = () => {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new Error("no documents");
  for (const doc of docs) doc.toJS();
};

const variants: Variant[] = [
  { name: "yaml parseAllDocuments + toJS (baseline)", run: bareParse, iterations: 0, ms: 0, rounds: [] },
  {
    name: "validateConfig, metal",
    run: () => {
      if (!validateConfig(text, { mode: "metal" }).ok) throw new Error("the corpus config must be valid");
    },
    iterations: 0,
    ms: 0,
    rounds: [],
  },
  {
    name: "validateConfig, metal, cold PEM cache",
    run: () => {
      clearPemCache();
      if (!validateConfig(text, { mode: "metal" }).ok) throw new Error("the corpus config must be valid");
    },
    iterations: 0,
    ms: 0,
    rounds: [],
  },
];

function runFor(variant: Variant, budgetMs: number): void {
  const start = performance.now();
  let n = 0;
  let now = start;
  do {
    for (let i = 0; i < 10; i++) variant.run();
    n += 10;
    now = performance.now();
  } while (now - start < budgetMs);
  variant.iterations += n;
  variant.ms += now - start;
  variant.rounds.push((now - start) / n);
}

// Warm up (JIT, caches), then interleave rounds so that machine noise hits every variant alike.
for (const v of variants) runFor(v, 250);
for (const v of variants) {
  v.iterations = 0;
  v.ms = 0;
  v.rounds = [];
}
const ROUNDS = 8;
const BUDGET_MS = 150; // 8 rounds x 3 variants x 150 ms = ~3.6 s
for (let round = 0; round < ROUNDS; round++) for (const v of variants) runFor(v, BUDGET_MS);

const baseline = variants[0] as Variant;
// The median round is robust to load spikes from other processes on the machine.
const perConfig = (v: Variant) => {
  const sorted = [...v.rounds].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const rows = variants.map((v) => ({
  variant: v.name,
  iterations: String(v.iterations),
  "µs/config (median round)": (perConfig(v) * 1000).toFixed(1),
  "configs/s": Math.round(1000 / perConfig(v)).toLocaleString("en-US"),
  "x baseline": (perConfig(v) / perConfig(baseline)).toFixed(2),
}));

const columns = Object.keys(rows[0] as object) as (keyof (typeof rows)[number])[];
const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
const line = (cells: string[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ");
console.log(`config: testdata/controlplane.yaml (${text.length} bytes, 4 documents), Bun ${Bun.version}`);
console.log(line(columns));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const row of rows) console.log(line(columns.map((c) => row[c])));

const ratio = perConfig(variants[1] as Variant) / perConfig(baseline);
const coldRatio = perConfig(variants[2] as Variant) / perConfig(baseline);
const verdict = ratio <= TARGET_RATIO && coldRatio <= TARGET_RATIO ? "PASS" : "FAIL";
console.log(
  `\nvalidation / bare parse: ${ratio.toFixed(2)}x (cold PEM cache ${coldRatio.toFixed(2)}x); target <= ${TARGET_RATIO}x: ${verdict}`,
);
if (verdict === "FAIL") process.exit(1);
