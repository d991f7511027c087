// Issue 13's cluster figures, under QEMU TCG: `osctl cluster create --controlplanes 3 --workers 0` with
// osctl's defaults (512 MB per node, network boot, etcd bootstrapped on the first control plane and
// the others joining by themselves), then for each control plane:
//   - from its API answering (apid's first Running event) to its etcd member started (etcd's first
//     Running event: the member joined as a learner and its etcd runs) and healthy (first healthy
//     check: promoted to a voting member), from the node's own event times;
//   - its memory (MemTotal - MemAvailable) and etcd's resident memory.
// The cluster's whole creation (boots, bootstrap, joins, until 3 voting members) is timed too.
// Run: cd tests/e2e && bun bench/etcd-cluster.bench.ts
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../src/repo-root.ts";
import { runOsctl } from "../src/run-osctl.ts";

const NAME = "etcdbench";
const dir = mkdtempSync(join(tmpdir(), "bronze-etcd-cluster-bench-"));
const home = join(dir, "home");
const out = join(dir, "out");
const osctlBinary = join(dir, "osctl");
mkdirSync(home);

function run(argv: string[]): void {
  const proc = Bun.spawnSync(argv, { cwd: REPO_ROOT, stdout: "inherit", stderr: "inherit" });
  if (proc.exitCode !== 0) throw new Error(`${argv.join(" ")} failed (${proc.exitCode})`);
}

const osctl = (args: string[], timeoutMs = 120_000) =>
  runOsctl(["--osconfig", join(dir, "osconfig"), ...args], {
    cwd: dir,
    timeoutMs,
    binary: osctlBinary,
    env: { HOME: home },
  });

/** The first event of `service` in `state` (and healthy, when asked), from `osctl events` lines. */
function firstEvent(lines: string[], service: string, match: (rest: string) => boolean): number | undefined {
  for (const line of lines) {
    const [time = "", id = "", ...rest] = line.split(" ");
    if (id === service && match(rest.join(" "))) return Date.parse(time);
  }
  return undefined;
}

try {
  console.log("building the image and osctl…");
  run(["bun", "image/src/main.ts", "build", "--profile", "qemu", "--out", out]);
  run(["bun", "apps/osctl/scripts/build.ts", osctlBinary]);
  const started = performance.now();
  const create = await osctl(
    [
      "--timeout",
      "30m",
      "cluster",
      "create",
      "--name",
      NAME,
      "--controlplanes",
      "3",
      "--workers",
      "0",
      "--assets",
      out,
    ],
    2_000_000,
  );
  const createS = (performance.now() - started) / 1000;
  if (create.code !== 0) throw new Error(`cluster create failed:\n${create.stdout}\n${create.stderr}`);
  console.log(
    create.stdout
      .split("\n")
      .filter((l) => /etcd|is up/.test(l))
      .join("\n"),
  );
  const state = JSON.parse(await Bun.file(join(home, `.osctl/clusters/${NAME}/state.json`)).text()) as {
    nodes: { name: string; clusterIp: string; apidPort: number }[];
  };
  const endpoint = `127.0.0.1:${state.nodes[0]?.apidPort}`;
  const rows: string[] = [];
  for (const node of state.nodes) {
    const on = (args: string[]) => osctl(["-e", endpoint, "-n", node.clusterIp, ...args]);
    const events = (await on(["events"])).stdout.split("\n");
    const api = firstEvent(events, "apid", (rest) => rest.startsWith("Running"));
    const running = firstEvent(events, "etcd", (rest) => rest.startsWith("Running"));
    const healthy = firstEvent(events, "etcd", (rest) => rest.includes("[healthy]"));
    const memory = JSON.parse((await on(["memory", "-o", "json"])).stdout) as {
      meminfo: { memtotal: string; memavailable: string };
    }[];
    const processes = JSON.parse((await on(["processes", "-o", "json"])).stdout) as {
      processes: { command: string; residentMemory: string }[];
    }[];
    const m = memory[0]?.meminfo;
    const used = m ? (Number(m.memtotal) - Number(m.memavailable)) / 1024 : Number.NaN;
    const etcd = processes[0]?.processes.find((p) => p.command === "etcd");
    const since = (t: number | undefined) =>
      t === undefined || api === undefined ? "-" : `${((t - api) / 1000).toFixed(1)} s`;
    if (api === undefined || running === undefined)
      console.log(
        `${node.name}: its events (${events.length} lines) hold no ${api === undefined ? "apid" : "etcd"} Running event: the times are not known`,
      );
    rows.push(
      `| ${node.name} | ${since(running)} | ${since(healthy)} | ${m ? (Number(m.memtotal) / 1024).toFixed(0) : "-"} MB | ${used.toFixed(0)} MB | ${etcd ? (Number(etcd.residentMemory) / 2 ** 20).toFixed(0) : "-"} MiB |`,
    );
  }
  console.log(
    `\ncluster create --controlplanes 3 --workers 0 until 3 voting members: ${createS.toFixed(0)} s\n`,
  );
  console.log(
    "| node | API → etcd member running | API → etcd healthy (voting) | MemTotal | used (total - available) | etcd RSS |",
  );
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const row of rows) console.log(row);
} finally {
  await osctl(["cluster", "destroy", "--name", NAME], 300_000).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
