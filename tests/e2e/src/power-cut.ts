// Pulling the plug on a QEMU node (issue 12, "Durability under power cuts"): SIGKILL of its QEMU at a
// random moment of an operation, then the same QEMU command line started again. After each cut the
// node must boot, serve its API over mTLS, run the old or the new version, and hold the old or the new
// config, complete. Used by the upgrade test (a few cuts) and by the power-cut bench (many).
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { UpgradeCluster } from "./upgrade-cluster.ts";

export type CutPhase =
  | "apply-config (auto)"
  | "apply-config (staged)"
  | "slot write"
  | "first boot of the new slot";
export const CUT_PHASES: readonly CutPhase[] = [
  "apply-config (auto)",
  "apply-config (staged)",
  "slot write",
  "first boot of the new slot",
];

export interface CutResult {
  readonly phase: CutPhase;
  /** ms after the operation started. */
  readonly afterMs: number;
  /** What the node runs and holds after the restart. */
  readonly version: string;
  readonly config: "old" | "new";
  /** ms from the restart to the API answering. */
  readonly recoveredMs: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills the node's QEMU (SIGKILL: no flush, no shutdown) and waits until it is gone. */
export async function pullThePlug(cluster: UpgradeCluster): Promise<void> {
  const pid = Number(readFileSync(join(cluster.nodeDir, "qemu.pid"), "utf8").trim());
  if (!alive(pid)) throw new Error(`QEMU ${pid} is not running: nothing to cut`);
  process.kill(pid, "SIGKILL");
  const deadline = Date.now() + 30_000;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`QEMU ${pid} survived SIGKILL for 30 s`);
    await Bun.sleep(100);
  }
}

/** Starts the node's QEMU again with the command line `cluster create` gave it. */
export function powerOn(cluster: UpgradeCluster): void {
  const argv = JSON.parse(readFileSync(join(cluster.nodeDir, "qemu.argv"), "utf8")) as string[];
  const logPath = join(cluster.nodeDir, "qemu.log");
  const log = openSync(logPath, existsSync(logPath) ? "a" : "w");
  try {
    const proc = Bun.spawn(argv, { stdin: "ignore", stdout: log, stderr: log, detached: true });
    proc.unref();
  } finally {
    closeSync(log);
  }
}

/** The node's config text (admin: unredacted), or undefined when it does not answer. */
async function configText(cluster: UpgradeCluster): Promise<string | undefined> {
  const r = await cluster.node(["get", "config"], 60_000);
  return r.code === 0 ? r.stdout : undefined;
}

/** The config with vm.swappiness set to `value` (a change every apply mode takes without a reboot). */
export function withSwappiness(text: string, value: number): string {
  const config = parse(text);
  config.machine.sysctls = { ...(config.machine.sysctls ?? {}), "vm.swappiness": String(value) };
  return stringify(config);
}

/** Waits until the node answers over mTLS; returns how long that took. */
async function recover(cluster: UpgradeCluster, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const v = await cluster.version().catch(() => undefined);
    if (v !== undefined && v.tag !== "") return Date.now() - started;
    if (Date.now() - started > timeoutMs)
      throw new Error(
        `after the power cut the node did not answer over mTLS within ${timeoutMs / 1000} s${cluster.serialTail()}`,
      );
    await Bun.sleep(3000);
  }
}

const random = (min: number, max: number) => Math.round(min + Math.random() * (max - min));
const norm = (t: string) => t.trim();

/**
 * One cut in `phase`: starts the operation, pulls the plug at a random moment of its window, powers
 * the node on and checks what it came back with. `next` is the release the upgrades go to.
 */
export async function cutOnce(
  cluster: UpgradeCluster,
  phase: CutPhase,
  next: { url: string; version: string },
  log: (line: string) => void,
): Promise<CutResult> {
  const before = await cluster.version();
  const oldConfig = await configText(cluster);
  if (oldConfig === undefined) throw new Error("the node does not return its config before the cut");
  let newConfig = oldConfig;
  let afterMs: number;
  let landed: CutPhase = phase;
  let upgradeReturned = false;
  const started = Date.now();
  if (phase === "apply-config (auto)" || phase === "apply-config (staged)") {
    newConfig = withSwappiness(oldConfig, random(1, 99));
    const file = join(cluster.dir, "cut-config.yaml");
    await Bun.write(file, newConfig);
    const mode = phase === "apply-config (auto)" ? "auto" : "staged";
    void cluster.node(["apply-config", "-f", file, "--mode", mode], 120_000);
    // osctl starts, the node validates (its config worker) and writes: cuts land before, during and after
    afterMs = random(1000, 10_000);
  } else if (phase === "slot write") {
    void cluster.node(["upgrade", "--image", next.url], 300_000).then(() => {
      upgradeReturned = true;
    });
    afterMs = random(2000, 45_000);
  } else {
    const upgrade = await cluster.node(["upgrade", "--image", next.url], 300_000);
    if (upgrade.code !== 0) throw new Error(`upgrade before the cut failed: ${upgrade.stderr}`);
    afterMs = Date.now() - started + random(3000, 60_000);
  }
  await Bun.sleep(Math.max(0, afterMs - (Date.now() - started)));
  // the slot was written and the node told to reboot before the cut: it landed in the reboot instead
  if (phase === "slot write" && upgradeReturned) landed = "first boot of the new slot";
  await pullThePlug(cluster);
  log(`cut in ${landed} at ${(afterMs / 1000).toFixed(1)} s`);
  powerOn(cluster);
  const recoveredMs = await recover(cluster, 600_000);
  // a trial boot in progress (the cut landed after the request): let it settle, committed or fallen back
  let after = await cluster.version();
  const settleBy = Date.now() + 600_000;
  while (after.last.endsWith(" in progress") || after.last.includes(" staged:") || after.slot === "") {
    if (Date.now() > settleBy) break;
    await Bun.sleep(3000);
    after = (await cluster.version().catch(() => undefined)) ?? after;
  }
  const versions = new Set([before.tag, next.version]);
  if (!versions.has(after.tag))
    throw new Error(
      `after a cut in ${landed} the node runs ${after.tag}, neither ${[...versions].join(" nor ")}`,
    );
  const held = await configText(cluster);
  if (held === undefined) throw new Error(`after a cut in ${landed} the node does not return its config`);
  const config =
    norm(held) === norm(newConfig) && newConfig !== oldConfig
      ? "new"
      : norm(held) === norm(oldConfig)
        ? "old"
        : undefined;
  if (config === undefined)
    throw new Error(
      `after a cut in ${landed} the node holds a config that is neither the old nor the new one:\n${held.slice(0, 2000)}`,
    );
  return { phase: landed, afterMs, version: after.tag, config, recoveredMs };
}

/** How many cuts landed in each phase, and what the node came back with, in lines. */
export function cutSummary(results: readonly CutResult[]): string[] {
  return CUT_PHASES.map((phase) => {
    const in_ = results.filter((r) => r.phase === phase);
    const newer = in_.filter((r) => r.config === "new").length;
    const slowest = Math.max(0, ...in_.map((r) => r.recoveredMs));
    return `${phase}: ${in_.length} cut(s), ${in_.length} survived; config new in ${newer}, old in ${in_.length - newer}; versions ${[...new Set(in_.map((r) => r.version))].join(", ") || "-"}; API back within ${(slowest / 1000).toFixed(0)} s`;
  });
}
