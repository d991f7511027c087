// machined's bench: (a) the supervisor's overhead starting 50 process services with dependencies,
// against spawning the same 50 processes bare with Bun.spawn in the same run; (b) machined's resident
// memory in container mode with a real containerd. Run: `bun run bench` (root, Debian's containerd).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MachineService, ROLE_HEADER } from "@bronze/api";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createBunSpawn } from "../src/supervisor/runners/bun-spawn.ts";
import { ProcessRunner } from "../src/supervisor/runners/process-runner.ts";
import type { ServiceDefinition } from "../src/supervisor/service.ts";
import { Supervisor } from "../src/supervisor/supervisor.ts";

const N = 50;
const ROUNDS = 11;
const CMD = ["/bin/sleep", "30"];
const RATIO_TARGET = 1.5;
const RSS_TARGET_MIB = 128;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;

/** 50 bare Bun.spawn calls with the stdio machined's spawn uses; ms until all have a pid. */
async function bare(): Promise<number> {
  const t0 = performance.now();
  const procs = [];
  for (let i = 0; i < N; i++) {
    procs.push(Bun.spawn({ cmd: CMD, stdin: "ignore", stdout: "pipe", stderr: "pipe", detached: true }));
  }
  const elapsed = performance.now() - t0;
  for (const p of procs) p.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
  return elapsed;
}

/** Service i depends on its parent: i-1 (chain) or (i-1)/2 (binary tree). */
function parentOf(shape: "chain" | "tree", i: number): number | undefined {
  if (i === 0) return undefined;
  return shape === "chain" ? i - 1 : Math.floor((i - 1) / 2);
}

/** 50 process services through the Supervisor (log files included); ms until all are up. */
async function supervised(shape: "chain" | "tree", logDir: string): Promise<number> {
  const spawn = createBunSpawn();
  const sup = new Supervisor({ logDir, stopGraceMs: 2000 });
  const defs: ServiceDefinition[] = [];
  for (let i = 0; i < N; i++) {
    const parent = parentOf(shape, i);
    defs.push({
      id: `svc-${i}`,
      dependsOn: parent === undefined ? [] : [`svc-${parent}`],
      restart: "forever",
      runner: new ProcessRunner({ cmd: CMD, spawn }),
    });
  }
  sup.register(...defs);
  const t0 = performance.now();
  const allUp = Promise.all(defs.map((d) => sup.waitFor(d.id, (s) => s.up)));
  sup.startAll();
  await allUp;
  const elapsed = performance.now() - t0;
  await sup.stopAll();
  sup.close();
  return elapsed;
}

async function benchSupervisor() {
  const logDir = mkdtempSync(join(tmpdir(), "machined-bench-logs-"));
  const results = { bare: [] as number[], chain: [] as number[], tree: [] as number[] };
  try {
    // Warm up the code paths once, then interleave the variants so that load affects all alike.
    await bare();
    await supervised("chain", logDir);
    for (let r = 0; r < ROUNDS; r++) {
      results.bare.push(await bare());
      results.chain.push(await supervised("chain", logDir));
      results.tree.push(await supervised("tree", logDir));
    }
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
  return {
    bare: median(results.bare),
    chain: median(results.chain),
    tree: median(results.tree),
    range: (k: "bare" | "chain" | "tree") =>
      `${Math.min(...results[k]).toFixed(0)}-${Math.max(...results[k]).toFixed(0)} ms`,
  };
}

function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (m === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

function pidsMentioning(text: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, "utf8").includes(text)) out.push(Number(e));
    } catch {}
  }
  return out;
}

/** machined in container mode from worker.yaml: RSS once booted, and after 500 API calls. */
async function benchMemory() {
  const root = mkdtempSync(join(tmpdir(), "machined-bench-root-"));
  const config = join(import.meta.dir, "../../../libs/config-schema/testdata/worker.yaml");
  const proc = Bun.spawn(
    [
      "bun",
      join(import.meta.dir, "../src/main.ts"),
      "--platform",
      "container",
      "--root",
      root,
      "--config",
      config,
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  try {
    const t0 = performance.now();
    let text = "";
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) {
      text += decoder.decode(chunk, { stream: true });
      if (/boot finished/.test(text)) break;
      if (performance.now() - t0 > 30_000) throw new Error(`machined did not boot:\n${text}`);
    }
    const bootMs = performance.now() - t0;
    const containerdPid = Number(/service containerd: Running \(Started \(pid (\d+)\)\)/.exec(text)?.[1]);
    await Bun.sleep(2000);
    const idle = rssKiB(proc.pid);
    const api = createClient(
      MachineService,
      createGrpcTransport({
        baseUrl: "http://localhost",
        nodeOptions: { createConnection: () => connect(join(root, "system/run/machined/machine.sock")) },
        interceptors: [
          (next) => (req) => {
            req.header.set(ROLE_HEADER, "os:admin");
            return next(req);
          },
        ],
      }),
    );
    for (let i = 0; i < 100; i++) {
      await api.serviceList({});
      await api.containers({});
      await api.memory({});
      await api.processes({});
      for await (const _ of api.logs({ id: "containerd", tailLines: 50 })) {
        // drain
      }
    }
    Bun.gc(true);
    await Bun.sleep(500);
    const busy = rssKiB(proc.pid);
    const containerd = Number.isInteger(containerdPid) ? rssKiB(containerdPid) : Number.NaN;
    await api.shutdown({});
    await proc.exited;
    return { bootMs, idle, busy, containerd };
  } finally {
    proc.kill("SIGKILL");
    for (const pid of pidsMentioning(root)) process.kill(pid, "SIGKILL");
    rmSync(root, { recursive: true, force: true });
  }
}

const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const row = (cells: string[], widths: number[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");

console.log(`machined bench (bun ${Bun.version}, ${navigator.hardwareConcurrency} cores)\n`);

const s = await benchSupervisor();
const w1 = [46, 10, 12, 8, 8];
console.log(`(a) start-to-running of ${N} process services (${CMD.join(" ")}), median of ${ROUNDS} rounds`);
console.log(row(["variant", "median", "min-max", "ratio", `target <= ${RATIO_TARGET}x`], w1));
console.log(row([`bare Bun.spawn x${N}`, ms(s.bare), s.range("bare"), "1.00x", ""], w1));
for (const shape of ["chain", "tree"] as const) {
  const ratio = s[shape] / s.bare;
  console.log(
    row(
      [
        `Supervisor, dependencies as a ${shape === "chain" ? "chain (49 deep)" : "binary tree"}`,
        ms(s[shape]),
        s.range(shape),
        `${ratio.toFixed(2)}x`,
        ratio <= RATIO_TARGET ? "met" : "MISSED",
      ],
      w1,
    ),
  );
}

const m = await benchMemory();
const w2 = [46, 12, 8];
console.log(`\n(b) machined resident memory (VmRSS), container mode, worker.yaml, containerd running`);
console.log(
  "    machined run with `bun src/main.ts`; apid and trustd (their own containers, 32 and 17 MiB) are not counted",
);
console.log(row(["measure", "value", `target < ${RSS_TARGET_MIB} MiB`], w2));
console.log(row(["boot to 'boot finished'", ms(m.bootMs), ""], w2));
console.log(
  row(
    ["machined RSS, idle 2 s after boot", mib(m.idle), m.idle / 1024 < RSS_TARGET_MIB ? "met" : "MISSED"],
    w2,
  ),
);
console.log(
  row(
    ["machined RSS after 500 API calls", mib(m.busy), m.busy / 1024 < RSS_TARGET_MIB ? "met" : "MISSED"],
    w2,
  ),
);
console.log(row(["containerd RSS (for reference)", mib(m.containerd), ""], w2));
