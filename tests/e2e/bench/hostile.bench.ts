// The hostile-input suite of issue 10, as a bench (its figures are measurements): a control-plane node
// in container mode (machined from the compiled node binary, a real containerd, apid and trustd as
// containers), booted without a config, attacked in maintenance mode, configured through the
// maintenance apid, then attacked with every case of the security review, a fuzz of
// ApplyConfiguration and a fuzz of apid's Connect/gRPC/gRPC-web decoders. Throughout: process restarts,
// resident memory of apid, trustd and machined, an admin's Version every 100 ms through apid, Version
// every 50 ms on machined's own socket (PID 1's responsiveness), and machined's console reports of
// its event loop being blocked. Figures are printed against the idle node measured in the same run.
//
// Run: `bun run bench` (root, Debian's containerd and runc), or alone:
//   cd tests/e2e && bun bench/hostile.bench.ts [--only maintenance,cases,fuzz-config,fuzz-decoders]
//     [--cases C2,H5,...] [--rounds 1] [--configs 10000] [--requests 4000] [--seed N]
//     [--node-binary PATH] [--out DIR]
// --rounds N runs the configured cases N times (memory after each round: growth that goes on is a leak).
// Unclean fuzz inputs, the results (JSON) and machined's console are written to --out (default
// _out/hostile-bench).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { cgroupMemoryDir, readCgroupMemory, resetCgroupPeak } from "../src/hostile/cgroup-memory.ts";
import { parseLoopBlocks } from "../src/hostile/loop-blocks.ts";
import { markdownTable } from "../src/hostile/markdown-table.ts";
import { memoryStatus, openFiles } from "../src/hostile/proc-status.ts";
import { REPO_ROOT } from "../src/repo-root.ts";
import { attempt, bombs } from "./hostile/attack-tools.ts";
import { fuzzApplyConfiguration } from "./hostile/fuzz-config.ts";
import { fuzzDecoders } from "./hostile/fuzz-decoders.ts";
import { buildNodeBinary, HostileNode, type ServiceFacts } from "./hostile/hostile-node.ts";
import { LoadWatch, MemoryWatch, Phase, Probes } from "./hostile/monitors.ts";
import { type CaseContext, REVIEW_CASES, SKIPPED_CASES } from "./hostile/review-cases.ts";

const PARTS = ["maintenance", "cases", "fuzz-config", "fuzz-decoders"] as const;
type Part = (typeof PARTS)[number];

class BenchArgsError extends Error {
  override readonly name = "BenchArgsError";
  readonly code = "BadArguments";
}

function parseArgs(argv: readonly string[]) {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (m === null) throw new BenchArgsError(`unexpected argument ${arg}`);
    const name = m[1] as string;
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new BenchArgsError(`--${name} needs a value`);
    flags.set(name, value);
  }
  const known = ["only", "cases", "rounds", "configs", "requests", "seed", "node-binary", "out"];
  for (const name of flags.keys())
    if (!known.includes(name))
      throw new BenchArgsError(`unknown flag --${name} (known: ${known.join(", ")})`);
  const only = (flags.get("only")?.split(",") ?? [...PARTS]) as Part[];
  for (const p of only)
    if (!PARTS.includes(p)) throw new BenchArgsError(`--only: ${p} is not one of ${PARTS.join(", ")}`);
  const num = (name: string, fallback: number) => {
    const v = Number(flags.get(name) ?? fallback);
    if (!Number.isInteger(v) || v < 0) throw new BenchArgsError(`--${name} must be a whole number`);
    return v;
  };
  return {
    only: new Set(only),
    cases: flags.get("cases")?.split(","),
    rounds: Math.max(1, num("rounds", 1)),
    configs: num("configs", 10_000),
    requests: num("requests", 4_000),
    seed: num("seed", Date.now() % 1_000_000),
    nodeBinary: flags.get("node-binary"),
    out: resolve(flags.get("out") ?? join(REPO_ROOT, "_out/hostile-bench")),
  };
}

const args = parseArgs(Bun.argv.slice(2));
const startedAt = new Date();
const t0 = performance.now();
const log = (line: string) =>
  console.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const ms = (x: number) =>
  Number.isNaN(x) ? "–" : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`;

const dir = mkdtempSync(join(tmpdir(), "bronze-bench-hostile-"));
mkdirSync(args.out, { recursive: true });
let node: HostileNode | undefined;
const cleanupSync = () => {
  node?.killNow();
  rmSync(dir, { recursive: true, force: true });
};
process.on("exit", cleanupSync);
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => {
    cleanupSync();
    process.exit(130);
  });

log(
  `hostile-input bench: seed ${args.seed}, parts ${[...args.only].join(", ")}, ${cpus().length} CPUs, load ${(await Bun.file("/proc/loadavg").text()).trim()}`,
);
const nodeBinary = args.nodeBinary ?? join(dir, "bronze-node");
if (args.nodeBinary === undefined) {
  buildNodeBinary(nodeBinary);
  log(`built the node binary (${(Bun.file(nodeBinary).size / 1e6).toFixed(0)} MB)`);
}
bombs();
node = await HostileNode.start(dir, nodeBinary);
const n = node;
await n.waitForMaintenance();
log(
  `machined (pid ${n.machinedPid}) is in maintenance mode; apid on ${n.apidPort}, trustd on ${n.trustdPort}`,
);

const phase = new Phase();
const apidPid = async () => (await n.services()).get("apid")?.pid ?? 0;
const ctx: CaseContext = {
  node: n,
  log,
  phase,
  apidPid,
  rssKiB: (pid) => memoryStatus(pid)?.rssKiB ?? Number.NaN,
  openFiles: (pid) => openFiles(pid) ?? Number.NaN,
};

interface CaseRow {
  id: string;
  title: string;
  expected: boolean;
  answer: string;
  restarts: string;
  /** Peak resident memory during the case over the resident memory before it, by process ("" before the baseline). */
  memory: string;
  seconds: number;
}
/** Set once the node is configured and measured. */
let memory: MemoryWatch | undefined;
const caseRows: CaseRow[] = [];
const selected = (id: string) =>
  args.cases === undefined || args.cases.some((c) => id === c || id.startsWith(`${c}-`));

/** Services whose run count or pid changed between two snapshots (and why that may be by design). */
function restartsBetween(
  before: Map<string, ServiceFacts>,
  after: Map<string, ServiceFacts>,
  byDesign: string[] = [],
): string[] {
  const out: string[] = [];
  for (const [id, b] of before) {
    const a = after.get(id);
    if (a === undefined) out.push(`${id} gone`);
    else if (a.runs !== b.runs || (a.pid !== b.pid && b.pid !== 0))
      out.push(
        `${id} ${b.runs}→${a.runs} runs${a.pid !== b.pid ? `, pid ${b.pid}→${a.pid}` : ""}${byDesign.includes(id) ? " (by design)" : ""}`,
      );
  }
  return out;
}

async function runCase(c: (typeof REVIEW_CASES)[number]): Promise<void> {
  const rssBefore = memory?.now();
  phase.current = c.id;
  const before = await n.services();
  const started = performance.now();
  log(`${c.id}: ${c.title}`);
  let outcome: { expected: boolean; answer: string };
  try {
    outcome = await c.run(ctx);
  } catch (error) {
    outcome = {
      expected: false,
      answer: `the case failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    };
  }
  // A process the case killed is restarted by machined: wait for the node to serve again (and say so).
  let recovered = "";
  if (n.gone() === undefined) {
    const t = performance.now();
    try {
      if (c.when === "configured" || c.id === "C1") await n.waitForConfigured();
      else await n.waitForMaintenance();
      const waited = (performance.now() - t) / 1000;
      if (waited > 1) recovered = `; the node served again after ${waited.toFixed(1)} s`;
    } catch (error) {
      recovered = `; the node did not serve again: ${(error as Error).message.slice(0, 200)}`;
    }
  }
  const gone = n.gone();
  const after = gone === undefined ? await n.services() : new Map<string, ServiceFacts>();
  // C1 replaces the maintenance apid by design; M3 re-issues the certificates (pki) with each apply.
  const byDesign = c.id === "C1" ? ["apid", "pki", "trustd"] : c.id === "M3" ? ["pki"] : [];
  const restarts =
    gone !== undefined
      ? `machined exited: ${gone}`
      : `${restartsBetween(before, after, byDesign).join("; ") || "none"}${recovered}`;
  memory?.sample();
  const peaks = memory?.peakDuring((p) => p === c.id || p.startsWith(`${c.id}:`));
  const growth =
    rssBefore === undefined || peaks === undefined
      ? ""
      : (["apid", "trustd", "machined"] as const)
          .map((name) =>
            !peaks[name]
              ? `${name} ? (gone)`
              : `${name} +${(((peaks[name] ?? 0) - (rssBefore[name] ?? 0)) / 1024).toFixed(1)}`,
          )
          .join(", ");
  const row = {
    id: c.id,
    title: c.title,
    ...outcome,
    restarts,
    memory: growth && `${growth} MiB`,
    seconds: (performance.now() - started) / 1000,
  };
  caseRows.push(row);
  log(
    `${c.id}: ${row.expected ? "as expected" : "NOT AS EXPECTED"} (${row.seconds.toFixed(1)} s; restarts: ${restarts}): ${row.answer}`,
  );
}

// ---- maintenance mode: its cases, then the config through the maintenance apid (C1 does it while attacking) ----
if (args.only.has("maintenance"))
  for (const c of REVIEW_CASES.filter((c) => c.when === "maintenance" && selected(c.id))) await runCase(c);
if ((await n.services()).get("pki") === undefined) {
  const m = n.maintenanceClient();
  const applied = await attempt(() =>
    m.client.applyConfiguration({ data: new TextEncoder().encode(n.config) }, { timeoutMs: 30_000 }),
  );
  m.close();
  if (applied.code !== "ok")
    throw new Error(`applying the config in maintenance mode: ${applied.code} ${applied.message}`);
}
await n.waitForConfigured();
log("configured: apid over mTLS, trustd, every service running");
await Bun.sleep(3000);

// ---- baseline: the idle node ----
const baseServices = await n.services();
const pidsNow = async () => {
  const s = await n.services();
  return { apid: s.get("apid")?.pid ?? 0, trustd: s.get("trustd")?.pid ?? 0, machined: n.machinedPid };
};
const consoleOffset = n.consoleText().length;
const pids0 = await pidsNow();
const cgroups = Object.fromEntries(
  (["apid", "trustd"] as const).map((name) => {
    const at = cgroupMemoryDir(readFileSync(`/proc/${pids0[name]}/cgroup`, "utf8"));
    if (at !== undefined) resetCgroupPeak(at);
    return [name, at];
  }),
);
const watch = new MemoryWatch(pidsNow, phase);
memory = watch;
const load = new LoadWatch();
phase.current = "idle";
await watch.start();
load.start();
const probes = new Probes(
  {
    apidUrl: n.apidUrl,
    ca: n.ca,
    cert: n.certs.admin.crt,
    key: n.certs.admin.key,
    socketPath: join(n.root, "system/run/machined/machine.sock"),
  },
  phase,
);
const IDLE_S = 12;
const rss0 = watch.now();
log(
  `baseline: ${IDLE_S} s of the idle node (VmRSS apid ${mib(rss0.apid ?? 0)}, trustd ${mib(rss0.trustd ?? 0)}, machined ${mib(rss0.machined ?? 0)})`,
);
await Bun.sleep(IDLE_S * 1000);

// ---- the attack ----
const partSeconds: Record<string, number> = {};
const timed = async (name: string, fn: () => Promise<void>) => {
  const s = performance.now();
  phase.current = name;
  await fn();
  partSeconds[name] = (performance.now() - s) / 1000;
  await watch.refreshPids();
};
const afterRounds: string[] = [];
if (args.only.has("cases"))
  await timed("cases", async () => {
    for (let round = 1; round <= args.rounds; round++) {
      for (const c of REVIEW_CASES.filter((c) => c.when === "configured" && selected(c.id))) {
        await runCase(c);
        await watch.refreshPids();
      }
      const rss = watch.now();
      afterRounds.push(
        `round ${round}: ${Object.entries(rss)
          .map(([k, v]) => `${k} ${mib(v)}`)
          .join(", ")}`,
      );
      log(`cases, ${afterRounds[afterRounds.length - 1]}`);
    }
  });
const fuzzConfig = args.only.has("fuzz-config")
  ? await (async () => {
      let result: Awaited<ReturnType<typeof fuzzApplyConfiguration>> | undefined;
      await timed("fuzz-config", async () => {
        const before = await n.services();
        result = await fuzzApplyConfiguration(n, {
          count: args.configs,
          seed: args.seed,
          concurrency: 4,
          realEvery: 200,
          outDir: args.out,
          log,
        });
        const restarts = restartsBetween(before, await n.services(), ["pki"]);
        log(
          `fuzz-config: ${result.sent} configs in ${result.seconds.toFixed(0)} s; ${[...result.codes].map(([k, v]) => `${v} ${k}`).join(", ")}; unclean ${result.unclean.length}; restarts: ${restarts.join("; ") || "none"}`,
        );
      });
      return result;
    })()
  : undefined;
const fuzzWire = args.only.has("fuzz-decoders")
  ? await (async () => {
      let result: Awaited<ReturnType<typeof fuzzDecoders>> | undefined;
      await timed("fuzz-decoders", async () => {
        result = await fuzzDecoders(n, {
          count: args.requests,
          seed: args.seed,
          concurrency: 8,
          outDir: args.out,
          log,
        });
        log(
          `fuzz-decoders: ${result.sent} requests in ${result.seconds.toFixed(0)} s; ${[...result.verdicts].map(([k, v]) => `${v} ${k}`).join(", ")}`,
        );
      });
      return result;
    })()
  : undefined;

// ---- after: the node idle again ----
phase.current = "after";
await Bun.sleep(10_000);
await probes.stop();
const mem = watch.stop();
// The kernel's OOM kills of this node's processes (a restarted container gets a new cgroup: its count starts again).
const ourPids = new Set<number>([
  ...Object.values(pids0),
  ...Object.values(mem).flatMap((m) => [m.pid, ...m.pidChanges]),
]);
const oomKills = (
  Bun.spawnSync(["dmesg"])
    .stdout.toString()
    .match(/Killed process \d+ \([^)]*\)[^\n]*/g) ?? []
).filter((line) => ourPids.has(Number(/Killed process (\d+)/.exec(line)?.[1])));
const cgroupFigures = Object.fromEntries(
  Object.entries(cgroups).map(([name, at]) => [name, at === undefined ? undefined : readCgroupMemory(at)]),
);
const loadFigures = load.stop();
const endServices = n.gone() === undefined ? await n.services() : new Map<string, ServiceFacts>();
const consoleText = n.consoleText();
const blocks = parseLoopBlocks(consoleText.slice(consoleOffset));
const monitorPresent = /event loop/.test(consoleText);

// ---- figures ----
const attack = (p: string) => p !== "idle" && p !== "after";
const inCases = (p: string) => p === "cases" || caseRows.some((r) => p === r.id || p.startsWith(`${r.id}:`));
const idleV = probes.summary("apid", (p) => p === "idle");
const attackV = probes.summary("apid", attack);
const idleS = probes.summary("socket", (p) => p === "idle");
const attackS = probes.summary("socket", attack);
const restarts = n.gone() ?? (restartsBetween(baseServices, endServices, ["pki"]).join("; ") || "none");
const unexpectedRestarts =
  n.gone() !== undefined || restartsBetween(baseServices, endServices).some((r) => !r.startsWith("pki "));
const met = (ok: boolean) => (ok ? "met" : "**not met**");
const rows: string[][] = [
  [
    "admin's Version through apid, every 100 ms: p50 / p99 (calls, errors)",
    `${ms(idleV.p50)} / ${ms(idleV.p99)} (${idleV.calls}, ${idleV.errors})`,
    `${ms(attackV.p50)} / ${ms(attackV.p99)} (${attackV.calls}, ${attackV.errors})`,
    `p99 ${(attackV.p99 / idleV.p99).toFixed(1)}x`,
    "p99 ≤ 1 s",
    met(attackV.p99 <= 1000),
  ],
  ...["cases", "fuzz-config", "fuzz-decoders"]
    .filter((p) => partSeconds[p] !== undefined)
    .map((p) => {
      const s = probes.summary("apid", (x) => (p === "cases" ? inCases(x) : x === p));
      return [
        `  … during ${p} (${partSeconds[p]?.toFixed(0)} s)`,
        "",
        `${ms(s.p50)} / ${ms(s.p99)} (${s.calls}, ${s.errors})`,
        `p99 ${(s.p99 / idleV.p99).toFixed(1)}x`,
        "p99 ≤ 1 s",
        met(s.p99 <= 1000),
      ];
    }),
  [
    "Version on machined's socket every 50 ms (PID 1's responsiveness): p99 / max",
    `${ms(idleS.p99)} / ${ms(idleS.max)}`,
    `${ms(attackS.p99)} / ${ms(attackS.max)}`,
    `max ${(attackS.max / idleS.max).toFixed(1)}x`,
    "≤ 100 ms (proxy)",
    met(attackS.max <= 100),
  ],
  ...["cases", "fuzz-config", "fuzz-decoders"]
    .filter((p) => partSeconds[p] !== undefined)
    .map((p) => {
      const s = probes.summary("socket", (x) => (p === "cases" ? inCases(x) : x === p));
      return [
        `  … during ${p}`,
        "",
        `${ms(s.p99)} / ${ms(s.max)}`,
        `max ${(s.max / idleS.max).toFixed(1)}x`,
        "≤ 100 ms (proxy)",
        met(s.max <= 100),
      ];
    }),
  [
    "PID 1's longest event-loop block (machined's console monitor)",
    "",
    monitorPresent
      ? blocks.length
        ? `${Math.max(...blocks.map((b) => b.ms))} ms (${blocks.length} reports)`
        : "none reported"
      : "monitor not in this build",
    "",
    "≤ 100 ms",
    monitorPresent ? met(blocks.every((b) => b.ms <= 100)) : "not measured",
  ],
  ...(["apid", "trustd", "machined"] as const).flatMap((name) => {
    const m = mem[name];
    if (m === undefined) return [[`${name} resident memory`, "", "not measured", "", "", ""]];
    const growth = Math.max(m.after, m.peak) - m.before;
    const cg = cgroupFigures[name];
    return [
      [
        `${name} VmRSS: before → after (peak)`,
        mib(m.before),
        `${mib(m.after)} (peak ${mib(m.peak)})`,
        `+${mib(m.after - m.before)} after, +${mib(m.peak - m.before)} peak`,
        "≤ 32 MiB growth",
        met(growth <= 32 * 1024),
      ],
      [
        `  ${name} RssAnon (the heap): before → after (peak sampled)`,
        mib(m.anonBefore),
        `${mib(m.anonAfter)} (peak ${mib(m.anonPeak)})`,
        `+${mib(m.anonAfter - m.anonBefore)} after, +${mib(m.anonPeak - m.anonBefore)} peak`,
        "",
        "",
      ],
      ...(cg === undefined
        ? []
        : [
            [
              `  ${name}'s memory cgroup: peak usage / limit; limit hits, OOM kills${m.pidChanges.length ? " (of the restarted process: a new cgroup)" : ""}`,
              "",
              `${cg.peakBytes === undefined ? "?" : mib(cg.peakBytes / 1024)} / ${cg.limitBytes === undefined ? "none" : mib(cg.limitBytes / 1024)}; ${cg.limitHits ?? "?"} hits, ${cg.oomKills ?? "?"} OOM kills`,
              cg.peakBytes !== undefined && cg.limitBytes !== undefined
                ? `${((100 * cg.peakBytes) / cg.limitBytes).toFixed(0)}% of the limit`
                : "",
              "no OOM kill",
              met((cg.oomKills ?? 0) === 0 && !oomKills.some((l) => l.includes(`(${name})`))),
            ],
          ]),
    ];
  }),
  [
    "process restarts (ServiceList runs/pids, machined's pid)",
    "",
    restarts,
    "",
    "none",
    met(!unexpectedRestarts),
  ],
  [
    "cases refused (or survived) as expected",
    "",
    `${caseRows.filter((r) => r.expected).length} of ${caseRows.length}`,
    "",
    "all",
    met(caseRows.every((r) => r.expected)),
  ],
  ...(fuzzConfig
    ? [
        [
          "ApplyConfiguration fuzz: configs; unclean answers",
          "",
          `${fuzzConfig.sent} (${(fuzzConfig.totalBytes / 1e6).toFixed(0)} MB) in ${fuzzConfig.seconds.toFixed(0)} s: ${[...fuzzConfig.codes].map(([k, v]) => `${v} ${k}`).join(", ")}; max message ${fuzzConfig.maxMessageBytes} B; ${fuzzConfig.real.applied} real applies; unclean ${fuzzConfig.unclean.length}`,
          "",
          "0 unclean, ≥ 10,000",
          met(
            fuzzConfig.unclean.length === 0 &&
              fuzzConfig.real.restoreFailures.length === 0 &&
              fuzzConfig.sent >= 10_000,
          ),
        ],
      ]
    : []),
  ...(fuzzWire
    ? [
        [
          "Connect/gRPC/gRPC-web decoder fuzz: requests; unclean",
          "",
          `${fuzzWire.sent} in ${fuzzWire.seconds.toFixed(0)} s: ${[...fuzzWire.verdicts].map(([k, v]) => `${v} ${k}`).join(", ")}`,
          "",
          "0 unclean, 0 bypass",
          met(!fuzzWire.verdicts.has("unclean") && !fuzzWire.verdicts.has("bypass")),
        ],
      ]
    : []),
  [
    "machine load (1-min average) during the run: min / mean / max",
    "",
    `${loadFigures.min.toFixed(1)} / ${loadFigures.mean.toFixed(1)} / ${loadFigures.max.toFixed(1)}`,
    "",
    "",
    "",
  ],
];

console.log("");
console.log(`## Hostile-input suite — ${startedAt.toISOString()}, seed ${args.seed}`);
console.log("");
console.log(markdownTable(["figure", "idle (same run)", "during the attack", "ratio", "target", ""], rows));
console.log("");
console.log(
  markdownTable(
    ["case", "what", "refused as expected", "restarts", "memory peak over before", "s", "answer"],
    caseRows.map((r) => [
      r.id,
      r.title,
      r.expected ? "yes" : "**NO**",
      r.restarts,
      r.memory,
      r.seconds.toFixed(1),
      r.answer,
    ]),
  ),
);
for (const s of SKIPPED_CASES) console.log(`- skipped ${s.id}: ${s.why}`);
console.log("");
console.log(
  "slowest admin Version calls during the attack:",
  probes
    .slowest("apid", 5, attack)
    .map((s) => `${ms(s.ms)} (${s.phase}${s.ok ? "" : `, ${s.error}`})`)
    .join("; "),
);
console.log(
  "slowest socket Version calls during the attack:",
  probes
    .slowest("socket", 8, attack)
    .map((s) => `${ms(s.ms)} (${s.phase})`)
    .join("; "),
);
if (probes.skipped > 0) console.log(`probe calls not started (100 still in flight): ${probes.skipped}`);
const errs = [...probes.errors("apid", attack), ...probes.errors("socket", attack)].map(
  ([k, v]) => `${v} × ${k}`,
);
if (errs.length) console.log("admin Version errors:", errs.slice(0, 10).join("; "));
const byGrowth = phase
  .names()
  .filter((p) => p.startsWith("C2:"))
  .map((p) => [p, watch.peakDuring((x) => x === p).machined ?? 0] as const)
  .sort((a, b) => b[1] - a[1]);
if (byGrowth.length)
  console.log(
    `machined's peak during each C2 config: ${byGrowth.map(([p, v]) => `${p.slice(4)} ${mib(v)}`).join("; ")}`,
  );
for (const line of afterRounds) console.log(`memory after the cases, ${line}`);
for (const part of ["idle", "cases", "fuzz-config", "fuzz-decoders", "after"]) {
  const peaks = watch.peakDuring((p) => (part === "cases" ? inCases(p) : p === part));
  if (Object.keys(peaks).length)
    console.log(
      `memory peak during ${part}: ${Object.entries(peaks)
        .map(([k, v]) => `${k} ${mib(v)}`)
        .join(", ")}`,
    );
}
for (const line of oomKills) console.log(`kernel: ${line}`);
if (blocks.length)
  console.log("event-loop blocks reported:", blocks.map((b) => `${b.ms} ms at ${b.at ?? "?"}`).join("; "));
if (fuzzConfig) {
  console.log(
    "fuzz-config slowest:",
    fuzzConfig.slowest
      .map((s) => `${ms(s.ms)} ${s.kinds} (${(s.bytes / 1024).toFixed(0)} KiB, ${s.code})`)
      .join("; "),
  );
  for (const u of fuzzConfig.unclean.slice(0, 15))
    console.log(
      `fuzz-config unclean #${u.index} ${u.kinds} (${u.bytes} B): ${u.code} "${u.message}" → ${u.file}`,
    );
  for (const f of [...fuzzConfig.real.refused, ...fuzzConfig.real.restoreFailures])
    console.log(`fuzz-config real apply: ${f}`);
}
if (fuzzWire) {
  console.log(
    "fuzz-decoders codes:",
    [...fuzzWire.codes].map(([k, v]) => `${v} ${k}`).join(", "),
    `; HTTP/2 sessions the server closed: ${fuzzWire.sessionsLost}`,
  );
  for (const [k, v] of fuzzWire.dropped) console.log(`fuzz-decoders dropped: ${v} × ${k}`);
  for (const e of fuzzWire.examples.slice(0, 15))
    console.log(`fuzz-decoders ${e.verdict}: ${e.role} ${e.kind}: ${e.what} → ${e.file}`);
}
writeFileSync(
  join(args.out, `results-${args.seed}.json`),
  JSON.stringify(
    {
      startedAt,
      seed: args.seed,
      rows,
      cases: caseRows,
      load: loadFigures,
      blocks,
      memory: mem,
      cgroups: cgroupFigures,
      oomKills,
      afterRounds,
    },
    null,
    2,
  ),
);
log(
  `results in ${join(args.out, `results-${args.seed}.json`)}; machined's console in ${n.consolePath} (removed at exit)`,
);
writeFileSync(join(args.out, `console-${args.seed}.log`), consoleText);

await n.shutdown();
log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
// The figures are the result, whatever they are: the bench itself went through.
process.exit(0);
