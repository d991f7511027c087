// Durability under power cuts (issue 12): a disk-booted node of its own (QEMU, TCG), its QEMU killed
// with SIGKILL at a random moment of each phase — apply-config (auto, then staged), an upgrade's slot
// write, a new slot's first boot — then started again: each time the node must boot, serve its API over
// mTLS, run the old or the new version and hold the old or the new config, complete. One cut per phase
// here (each costs a boot); `bun run bench:power-cut` pulls the plug 20 times. The builds are the
// upgrade test's (same versions: the image's output cache serves them).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { CUT_PHASES, type CutResult, cutOnce, cutSummary } from "./src/power-cut.ts";
import { UpgradeCluster } from "./src/upgrade-cluster.ts";

const cluster = new UpgradeCluster("e2e-cuts");

beforeAll(() => {
  cluster.build(["installed", "newer"], (line) => console.log(line));
}, 1_200_000);

afterAll(async () => {
  await cluster.destroy();
});

test("power cuts in apply-config, the slot write and a new slot's first boot: the node comes back whole each time", async () => {
  const create = await cluster.create();
  if (create.code !== 0)
    throw new Error(`cluster create exited ${create.code}: ${create.stderr}${cluster.serialTail()}`);
  const results: CutResult[] = [];
  for (const phase of CUT_PHASES) {
    const running = (await cluster.version()).tag;
    const next = running === "0.2.0-e2e" ? "installed" : "newer";
    results.push(
      await cutOnce(
        cluster,
        phase,
        { url: cluster.assetsUrl(next), version: next === "newer" ? "0.2.0-e2e" : "0.1.0-e2e" },
        (line) => console.log(line),
      ),
    );
  }
  for (const line of cutSummary(results)) console.log(`power cuts: ${line}`);
  expect(results.map((r) => r.version).every((v) => v === "0.1.0-e2e" || v === "0.2.0-e2e")).toBe(true);
  expect(results).toHaveLength(CUT_PHASES.length);
  // after the cuts the node still upgrades (a slot torn by a cut is written again whole)
  const running = (await cluster.version()).tag;
  const next = running === "0.2.0-e2e" ? "installed" : "newer";
  const upgrade = await cluster.node(["upgrade", "--image", cluster.assetsUrl(next), "--wait"]);
  expect(upgrade.code, `${upgrade.stderr}${cluster.serialTail()}`).toBe(0);
}, 2_400_000);
