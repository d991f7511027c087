// Issue 10: "PID 1's event loop is never blocked longer than 100 ms by a request". machined's real API
// server (startApiServer on a unix socket, gRPC, apid's one HTTP/2 session) takes the most costly
// configs the schema still accepts (dry runs: 9,900 empty machine.files entries; a 40,000-line diff)
// while Version calls run back to back on the same session. Version's latency during the applies, and
// the longest block the event-loop monitor saw, with the validation and the diff
//   - in-thread: on the event loop, as ConfigApplier did before the config worker;
//   - worker: in the config worker (what machined does).
// Then the config worker's own costs: start-up (to its first answer), a request on a warm worker, and
// the process's RSS with a worker idle, after the worst config, and after it was terminated.
// Run: bun bench/config-apply-latency.bench.ts
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_LIMITS } from "@bronze/config-schema";
import { startServerFixture } from "../src/api/testing/api-server-fixture.ts";
import { startEventLoopMonitor } from "../src/boot/event-loop-monitor.ts";
import { systemClock } from "../src/clock.ts";
import { runConfigCheck } from "../src/config/config-check.ts";
import { type ConfigCheck, ConfigWorkerClient } from "../src/config/config-worker-client.ts";

const TESTDATA = join(import.meta.dir, "../../../libs/config-schema/testdata");
const WORKER = readFileSync(join(TESTDATA, "worker.yaml"), "utf8");
const ROUNDS = 3;
const enc = (s: string) => new TextEncoder().encode(s);

const FILES = WORKER.replace(/^machine:\n/m, `machine:\n  files: [${Array(9900).fill("{}").join(",")}]\n`);
const room = CONFIG_LIMITS.maxLines - WORKER.split("\n").length;
const comments = (tag: string) => `${Array.from({ length: room }, (_, i) => `# ${tag} ${i}`).join("\n")}\n`;
const DIFF_BASE = `${WORKER}${comments("old")}`;
const DIFF_NEW = `${WORKER}${comments("new")}`;

/** The check as ConfigApplier did it before: synchronously on the event loop. */
const inThread: ConfigCheck = {
  validate: async (text, mode) => runConfigCheck({ kind: "validate", text, mode }),
  diff: async (base, text, names) => runConfigCheck({ kind: "diff", base, text, ...names }),
  redact: async (text) => runConfigCheck({ kind: "redact", text }),
};

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
const ms = (x: number) => `${x.toFixed(1)} ms`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const delta = (bytes: number) => `${bytes < 0 ? "-" : "+"}${mib(Math.abs(bytes))}`;
const row = (cells: string[], widths: number[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");

interface Run {
  readonly versions: number[];
  readonly applies: number[];
  readonly longestBlock: number;
}

async function underLoad(name: string, check: ConfigCheck): Promise<Run> {
  const s = await startServerFixture({ applier: { check } });
  const blocks: number[] = [];
  const monitor = startEventLoopMonitor({
    log: (line) => blocks.push(Number(/blocked for (\d+) ms/.exec(line)?.[1] ?? 0)),
    clock: systemClock,
    reportEveryMs: 0,
  });
  const versions: number[] = [];
  const applies: number[] = [];
  try {
    const reader = s.client("os:reader");
    const admin = s.client("os:admin");
    await reader.version({});
    await admin.applyConfiguration({ data: enc(WORKER), dryRun: true }); // warm: a worker is up
    let applying = true;
    const load = (async () => {
      while (applying) {
        const t0 = performance.now();
        await reader.version({});
        versions.push(performance.now() - t0);
      }
    })();
    for (let i = 0; i < ROUNDS; i++) {
      let t0 = performance.now();
      await admin.applyConfiguration({ data: enc(FILES), dryRun: true }).catch(() => {});
      applies.push(performance.now() - t0);
      s.f.store.save(DIFF_BASE);
      t0 = performance.now();
      await admin.applyConfiguration({ data: enc(DIFF_NEW), dryRun: true });
      applies.push(performance.now() - t0);
    }
    applying = false;
    await load;
  } finally {
    monitor.stop();
    await s.close();
    if (check instanceof ConfigWorkerClient) check.close();
  }
  console.error(`  ${name}: ${versions.length} Version calls during ${applies.length} applies`);
  return { versions, applies, longestBlock: Math.max(0, ...blocks) };
}

function rss(): number {
  Bun.gc(true);
  return process.memoryUsage().rss;
}

async function workerCosts() {
  const starts: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    const client = new ConfigWorkerClient();
    let t0 = performance.now();
    await client.validate(WORKER, "container");
    starts.push(performance.now() - t0);
    t0 = performance.now();
    await client.validate(WORKER, "container");
    warm.push(performance.now() - t0);
    client.close();
  }
  await Bun.sleep(500);
  const before = rss();
  const client = new ConfigWorkerClient();
  await client.validate(WORKER, "container");
  await Bun.sleep(200);
  const idle = rss();
  await client.validate(FILES, "container");
  await client.diff(DIFF_BASE, DIFF_NEW, { from: "current", to: "new" });
  const worst = rss();
  client.close();
  await Bun.sleep(500);
  const after = rss();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  return { start: median(starts), warm: median(warm), before, idle, worst, after };
}

console.log(`config apply latency bench (bun ${Bun.version}, ${navigator.hardwareConcurrency} cores)\n`);
const runs: [string, Run][] = [
  ["in-thread (before)", await underLoad("in-thread", inThread)],
  ["worker (machined)", await underLoad("worker", new ConfigWorkerClient())],
];
const w = [20, 8, 10, 10, 10, 16, 14];
console.log(
  `(a) Version latency on apid's session during ${ROUNDS}x (9,900 machine.files entries + a ${2 * room}-line diff), dry runs`,
);
console.log(row(["check", "calls", "p50", "p99", "max", "longest block", "apply median"], w));
for (const [name, run] of runs) {
  const v = [...run.versions].sort((a, b) => a - b);
  const a = [...run.applies].sort((x, y) => x - y);
  console.log(
    row(
      [
        name,
        String(v.length),
        ms(pct(v, 50)),
        ms(pct(v, 99)),
        ms(v.at(-1) ?? Number.NaN),
        run.longestBlock > 0 ? ms(run.longestBlock) : "none > 100 ms",
        ms(pct(a, 50)),
      ],
      w,
    ),
  );
}
const c = await workerCosts();
console.log("\n(b) the config worker (from the sources; median of 5)");
console.log(
  `start-up to its first answer (worker.yaml): ${ms(c.start)}; the same request warm: ${ms(c.warm)}`,
);
console.log(
  `RSS: ${mib(c.before)} without a worker, ${delta(c.idle - c.before)} with one idle, ${delta(c.worst - c.before)} after the worst config and diff, ${delta(c.after - c.before)} once terminated`,
);
process.exit(0);
