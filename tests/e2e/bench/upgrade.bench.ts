// `bun run bench:upgrade` (part of `bun run bench`): on one disk-booted QEMU node, interleaved,
//   - a plain `osctl reboot --wait` (the baseline),
//   - `osctl upgrade --wait` to the other build (call -> the new version answering, committed),
//   - `osctl upgrade --wait` to a build whose init exits at start (a STAND-IN): call -> the old version
//     answering again, the rollback recorded.
// Reported as ratios against the reboots of the same run (targets: upgrade <= 1.5x, broken <= 3x).
import { UpgradeCluster } from "../src/upgrade-cluster.ts";

const rounds = Number(process.env.BRONZE_UPGRADE_ROUNDS ?? 2);
const cluster = new UpgradeCluster("bench-upgrade");
const times: Record<"reboot" | "upgrade" | "broken", number[]> = { reboot: [], upgrade: [], broken: [] };

async function timed(kind: keyof typeof times, args: string[], expectCode: number): Promise<void> {
  const started = performance.now();
  const r = await cluster.node(args);
  const ms = performance.now() - started;
  if (r.code !== expectCode)
    throw new Error(
      `${args.join(" ")} exited ${r.code} (expected ${expectCode}): ${r.stderr}${cluster.serialTail()}`,
    );
  times[kind].push(ms);
  console.error(`${kind}: ${(ms / 1000).toFixed(1)} s`);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

try {
  cluster.build(["installed", "newer", "exits"], (line) => console.error(line));
  const create = await cluster.create();
  if (create.code !== 0) throw new Error(`cluster create failed: ${create.stderr}`);
  for (let i = 0; i < rounds; i++) {
    const running = (await cluster.version()).tag;
    await timed("reboot", ["reboot", "--wait"], 0);
    await timed(
      "upgrade",
      ["upgrade", "--wait", "--image", cluster.assetsUrl(running === "0.2.0-e2e" ? "installed" : "newer")],
      0,
    );
    await timed("reboot", ["reboot", "--wait"], 0);
    await timed("broken", ["upgrade", "--wait", "--image", cluster.assetsUrl("exits")], 1);
  }
} finally {
  await cluster.destroy();
}
const base = median(times.reboot);
const line = (kind: keyof typeof times, target: number) => {
  const m = median(times[kind]);
  return `${kind.padEnd(8)} median ${(m / 1000).toFixed(1)} s over ${times[kind].length} (${times[kind].map((t) => (t / 1000).toFixed(1)).join(", ")}); ${(m / base).toFixed(2)}x the reboot (target <= ${target}x)`;
};
console.log(
  `reboot   median ${(base / 1000).toFixed(1)} s over ${times.reboot.length} (${times.reboot.map((t) => (t / 1000).toFixed(1)).join(", ")})`,
);
console.log(line("upgrade", 1.5));
console.log(line("broken", 3));
