// `bun run bench:power-cut` (part of `bun run bench`): pulls the plug on a disk-booted QEMU node 20
// times, BRONZE_CUTS_PER_PHASE (default 5) in each phase: apply-config auto and staged, the slot write
// of an upgrade, the first boot of the new slot. Reports how many cuts landed where and that the node
// came back whole each time: booted, its API answering over mTLS, the old or the new version, the old
// or the new config.
import { CUT_PHASES, type CutResult, cutOnce, cutSummary } from "../src/power-cut.ts";
import { UpgradeCluster } from "../src/upgrade-cluster.ts";

const perPhase = Number(process.env.BRONZE_CUTS_PER_PHASE ?? 5);
const cluster = new UpgradeCluster("bench-cuts");
const results: CutResult[] = [];
let failed: string | undefined;
try {
  cluster.build(["installed", "newer"], (line) => console.error(line));
  const create = await cluster.create();
  if (create.code !== 0) throw new Error(`cluster create failed: ${create.stderr}`);
  for (let round = 0; round < perPhase; round++) {
    for (const phase of CUT_PHASES) {
      const running = (await cluster.version()).tag;
      const next = running === "0.2.0-e2e" ? "installed" : "newer";
      const result = await cutOnce(
        cluster,
        phase,
        { url: cluster.assetsUrl(next), version: next === "newer" ? "0.2.0-e2e" : "0.1.0-e2e" },
        (line) => console.error(line),
      );
      results.push(result);
      console.error(
        `  -> ${result.version}, config ${result.config}, API back in ${(result.recoveredMs / 1000).toFixed(0)} s`,
      );
    }
  }
} catch (err) {
  failed = (err as Error).message;
} finally {
  await cluster.destroy();
}
console.log(`power cuts survived / tried: ${results.length} / ${results.length + (failed ? 1 : 0)}`);
for (const line of cutSummary(results)) console.log(`  ${line}`);
if (failed) {
  console.log(`FAILED: ${failed}`);
  process.exit(1);
}
